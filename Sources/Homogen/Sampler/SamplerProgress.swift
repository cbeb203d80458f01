import Synchronization

/// Particle-steps done so far by a running sampler, readable from another thread (the CLI's
/// progress bar polls it).
public final class SamplerProgress: Sendable {
    private let done = Atomic<Int>(0)
    /// Particle-steps the run will take in all.
    public let total: Int

    public init(total: Int) { self.total = max(total, 1) }

    func add(_ particleSteps: Int) { done.add(particleSteps, ordering: .relaxed) }

    /// From 0 to 1.
    public var fraction: Double { min(1, Double(done.load(ordering: .relaxed)) / Double(total)) }
}
