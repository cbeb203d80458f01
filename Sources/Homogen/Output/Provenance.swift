import Foundation

/// Where the numbers of a run folder came from: written as the `provenance` object of every
/// `summary.json` (docs/guide.md, "Run folders and provenance").
public struct Provenance: Codable, Sendable, Equatable {
    /// The full command line, program name first, one array element per argument.
    public var commandLine: [String]
    /// Every option of the command as resolved: given values, defaults (`"default"` where the
    /// value is chosen later, then overwritten with the value chosen, e.g. the thread count).
    public var options: [String: String]
    public var software: String
    public var version: String
    /// The git commit the tool was built from (`-dirty` for uncommitted changes); nil when the
    /// build had no git.
    public var commit: String?
    public var gslVersion: String
    /// When the run started, UTC, ISO 8601 with milliseconds.
    public var startTime: String
    public var hostCores: Int
    public var hostName: String

    public init(commandLine: [String], options: [String: String] = [:], commit: String? = nil, start: Date = Date()) {
        self.commandLine = commandLine
        self.options = options
        self.software = "homogen"
        self.version = HomogenVersion.current
        self.commit = commit
        self.gslVersion = GSLLibrary.version
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        self.startTime = f.string(from: start)
        self.hostCores = ProcessInfo.processInfo.activeProcessorCount
        self.hostName = ProcessInfo.processInfo.hostName
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var processProvenance: Provenance?

    /// The provenance of this process's run: set once by the command-line tool when the run
    /// starts; a program using the library gets its own command line and the time of first use.
    public static var current: Provenance {
        get {
            lock.lock()
            defer { lock.unlock() }
            if processProvenance == nil { processProvenance = Provenance(commandLine: CommandLine.arguments) }
            return processProvenance!
        }
        set {
            lock.lock()
            processProvenance = newValue
            lock.unlock()
        }
    }

    /// Records an option's resolved value (e.g. the thread count chosen for "default").
    public static func resolve(_ option: String, _ value: String) {
        var p = current
        p.options[option] = value
        current = p
    }
}

extension JSON {
    /// A run folder's `summary.json`: the summary's keys plus `provenance`, the current `Provenance`.
    public static func encodeSummary<T: Encodable>(_ value: T) throws -> Data {
        try encode(value, adding: "provenance", Provenance.current)
    }

    /// The JSON object of `value` with one more key, `key`, holding `extra`. Spliced as text into
    /// the encoder's output (a top-level object ending in "\n}\n"), so that the object's own
    /// numbers are written exactly as `encode` writes them.
    public static func encode<T: Encodable, U: Encodable>(_ value: T, adding key: String, _ extra: U) throws -> Data {
        var text = String(decoding: try encode(value), as: UTF8.self)
        guard text.hasSuffix("\n}\n") else { return try encode(value) }
        text.removeLast(3)
        let inserted = String(decoding: try encode(extra), as: UTF8.self)
            .trimmingCharacters(in: .newlines).replacingOccurrences(of: "\n", with: "\n  ")
        text += ",\n  \"\(key)\" : " + inserted + "\n}\n"
        return Data(text.utf8)
    }
}
