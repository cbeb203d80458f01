import Foundation

extension Scenario {
    /// The fingerprint of a particle run of this scenario: FNV-1a 64 over the canonical JSON of
    /// the resolved scenario (`ScenarioRecord`), the seed, the software version and the block size
    /// — the inputs that determine every block's output — and the scheme when it is not
    /// Euler–Maruyama. Shards, checkpoints and partial results are combined only with others of
    /// the same fingerprint.
    public func runFingerprint(blockSize: Int = BlockPlan.standardBlockSize, scheme: SchemeKind = .em) throws -> String {
        var bytes = try JSON.encode(ScenarioRecord(self))
        bytes.append(contentsOf: Array("|\(particles.seed)|\(HomogenVersion.current)|\(blockSize)".utf8))
        if scheme != .em { bytes.append(contentsOf: Array("|\(scheme.rawValue)".utf8)) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(format: "%016llx", h)
    }
}
