import Synchronization

/// Particle-steps done so far by a running sampler, readable from another thread (the CLI's
/// progress bar polls it).
public final class SamplerProgress: Sendable {
    private let done = Atomic<Int>(0)
    private let expected: Atomic<Int>

    /// `total`: particle-steps the run will take in all (revised by `expect` once the time step is chosen).
    public init(total: Int) { expected = Atomic(max(total, 1)) }

    /// Particle-steps the run will take in all.
    public var total: Int { expected.load(ordering: .relaxed) }

    /// Revises the total (e.g. when the time-step control has chosen the step).
    public func expect(total: Int) { expected.store(max(total, 1), ordering: .relaxed) }

    func add(_ particleSteps: Int) { done.add(particleSteps, ordering: .relaxed) }

    /// From 0 to 1.
    public var fraction: Double { min(1, Double(done.load(ordering: .relaxed)) / Double(total)) }
}
