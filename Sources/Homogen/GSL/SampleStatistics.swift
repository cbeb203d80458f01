import CGSL

/// Sample statistics of a column of numbers (`gsl_stats`).
public enum SampleStatistics {
    public static func mean(_ x: [Double]) -> Double {
        GSLRuntime.ensureConfigured()
        return x.isEmpty ? .nan : gsl_stats_mean(x, 1, x.count)
    }

    /// The unbiased sample variance (divisor n − 1).
    public static func variance(_ x: [Double]) -> Double {
        GSLRuntime.ensureConfigured()
        return x.count < 2 ? .nan : gsl_stats_variance(x, 1, x.count)
    }
}
