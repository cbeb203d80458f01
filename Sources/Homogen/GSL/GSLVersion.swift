import CGSL

/// The GSL library linked at run time.
public enum GSLLibrary {
    /// GSL's own version string (`gsl_version`), e.g. "2.7.1".
    public static var version: String { String(cString: gsl_version) }
}
