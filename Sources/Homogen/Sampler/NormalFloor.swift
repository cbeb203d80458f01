import Dispatch
import Foundation

/// The floor of any GSL-driven sampler: the wall time per standard normal of GSL's taus2 +
/// ziggurat (`RandomStream.fillGaussian`, the sampler's own path), drawn into block-sized buffers on
/// `threads` threads at once, each with its own stream. One Euler–Maruyama step of one particle
/// needs d normals, so d × this figure bounds ns per particle-step from below.
public enum NormalFloor {
    /// Wall nanoseconds per normal, all threads together, over `normals` normals in all.
    public static func measure(threads: Int, normals: Int = 50_000_000) -> Double {
        let t = max(1, threads), buffer = BlockPlan.standardBlockSize
        let perThread = max(buffer, normals / t / buffer * buffer)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: t) { k in
            let rng = RandomStream(seed: BlockSeeds.seed(run: 1, block: UInt64(k)))
            let xi = UnsafeMutablePointer<Double>.allocate(capacity: buffer)
            defer { xi.deallocate() }
            var sink = 0.0
            for _ in 0..<(perThread / buffer) {
                rng.fillGaussian(xi, count: buffer)
                sink += xi[0]
            }
            if sink.isNaN { print(sink) }   // keeps the loop from being optimised away
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return seconds * 1e9 / Double(perThread * t)
    }
}
