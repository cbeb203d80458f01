import CGSL

/// Sampling from a finite distribution by Walker's alias method (`gsl_ran_discrete`), with
/// the lookup table owned by Swift.
public final class DiscreteDistribution {
    private let table: UnsafeMutablePointer<gsl_ran_discrete_t>
    public let count: Int

    /// Probabilities proportional to `weights` (non-negative, positive sum).
    public init(weights: [Double]) {
        GSLRuntime.ensureConfigured()
        precondition(!weights.isEmpty && weights.allSatisfy { $0 >= 0 } && weights.contains { $0 > 0 })
        guard let t = weights.withUnsafeBufferPointer({ gsl_ran_discrete_preproc($0.count, $0.baseAddress) }) else {
            fatalError("gsl_ran_discrete_preproc: out of memory")
        }
        table = t
        count = weights.count
    }

    deinit { gsl_ran_discrete_free(table) }

    /// An index drawn with the given probabilities.
    public func draw(_ rng: RandomStream) -> Int { Int(gsl_ran_discrete(rng.rng, table)) }
}
