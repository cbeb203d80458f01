import CGSL

/// The one place that configures GSL for the process: its default error handler aborts,
/// which a library must never do, so it is switched off and every call's status is checked
/// by the wrappers in this folder instead.
enum GSLRuntime {
    static let configured: Void = {
        _ = gsl_set_error_handler_off()
    }()

    static func ensureConfigured() { _ = configured }
}

/// A GSL call that returned an error status.
public struct GSLError: Error, CustomStringConvertible {
    public let status: Int32
    public let context: String
    public var description: String {
        "GSL error in \(context): \(String(cString: gsl_strerror(status)))"
    }
}
