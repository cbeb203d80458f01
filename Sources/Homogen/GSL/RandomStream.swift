import CGSL

/// A GSL random number generator (`gsl_rng`) owned by Swift: allocated in `init`, freed in
/// `deinit`. One stream serves one block of particles and is never shared between threads.
public final class RandomStream {
    /// The generator type: Tausworthe `taus2` (L'Ecuyer 1996), period ~2^88, among GSL's
    /// fastest generators that pass the standard batteries; it uses 32 bits of the seed.
    public static let generatorName = "taus2"

    let rng: UnsafeMutablePointer<gsl_rng>

    /// A generator seeded with `seed`. taus2 uses the low 32 bits, and maps seed 0 to GSL's
    /// default seed, so callers pass seeds in 1...2^32-1 (`BlockSeeds` does).
    public init(seed: UInt64) {
        GSLRuntime.ensureConfigured()
        guard let r = gsl_rng_alloc(gsl_rng_taus2) else {
            fatalError("gsl_rng_alloc failed: out of memory")
        }
        rng = r
        gsl_rng_set(rng, UInt(seed))
    }

    deinit { gsl_rng_free(rng) }

    /// Uniform on [0, 1).
    @inline(__always) public func uniform() -> Double { gsl_rng_uniform(rng) }

    /// Uniform on (0, 1), never 0.
    @inline(__always) public func uniformPositive() -> Double { gsl_rng_uniform_pos(rng) }

    /// Standard normal deviates by the Marsaglia–Tsang ziggurat (`gsl_ran_gaussian_ziggurat`).
    public func fillGaussian(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { buffer[i] = gsl_ran_gaussian_ziggurat(rng, 1.0) }
    }

    /// The generator's raw state bytes (`gsl_rng_state`), for checkpoints.
    public var stateBytes: [UInt8] {
        let size = gsl_rng_size(rng)
        guard let p = gsl_rng_state(rng) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: size))
    }

    /// Restores a state saved by `stateBytes` (same generator type); false if the size differs.
    public func restore(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == gsl_rng_size(rng), let p = gsl_rng_state(rng) else { return false }
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return true
    }
}

/// Seeds for the per-block random streams. Block b of a run with seed s gets
///
///     seed(s, b) = 1 + (h(s) + b * 0x9E3779B1) mod (2^32 - 1),
///
/// where h is the SplitMix64 finaliser of s. The multiplier is odd and coprime to 2^32 - 1,
/// so b ↦ seed(s, b) is injective for b < 2^32 - 1: distinct blocks get distinct seeds by
/// construction, every seed lies in 1...2^32-1 (never taus2's reserved 0), and runs with
/// different s start from unrelated offsets.
public enum BlockSeeds {
    public static let maximumBlocks: UInt64 = 0xFFFF_FFFE

    public static func seed(run seed: UInt64, block: UInt64) -> UInt64 {
        precondition(block < maximumBlocks)
        let m: UInt64 = 0xFFFF_FFFF   // 2^32 - 1
        let h = splitMix64(seed) % m
        let step = (block % m) * 0x9E37_79B1 % m
        return 1 + (h + step) % m
    }

    /// SplitMix64's output function (Steele, Lea & Flood 2014), a bijection of UInt64.
    static func splitMix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
