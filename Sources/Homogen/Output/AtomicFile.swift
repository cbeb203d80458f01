import Foundation

/// Files and folders that appear whole or not at all: written under a temporary name in the
/// same directory, then renamed (rename is atomic within a file system).
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
        public init(path: String, reason: String) { self.path = path; self.reason = reason }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let temporary = temporaryName(for: path)
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw WriteError(path: path, reason: "cannot create \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw WriteError(path: path, reason: reason)
        }
    }

    /// Fills a new folder through `fill`, which receives a temporary folder beside `path`;
    /// the folder then appears at `path` in one rename. Refuses an existing `path`, and
    /// removes the temporary folder if `fill` throws.
    public static func writeFolder(at path: String, _ fill: (String) throws -> Void) throws {
        try writeFolder(at: path, finish: { _ in }, fill)
    }

    /// As `writeFolder(at:_:)`, with `finish` run on the temporary folder after `fill` and before
    /// the rename (for files that need what `fill` found out).
    public static func writeFolder(at path: String, finish: (String) throws -> Void, _ fill: (String) throws -> Void) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            throw WriteError(path: path, reason: "it already exists; choose another --out or remove it")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw WriteError(path: path, reason: "cannot create its parent folder (\(error.localizedDescription))")
            }
        }
        let temporary = temporaryName(for: path)
        do { try fm.createDirectory(atPath: temporary, withIntermediateDirectories: false) } catch {
            throw WriteError(path: path, reason: "cannot create \(temporary) (\(error.localizedDescription))")
        }
        do {
            try fill(temporary)
            try finish(temporary)
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(atPath: temporary)
            throw WriteError(path: path, reason: reason)
        }
    }

    static func temporaryName(for path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let tmp = ".\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return dir.isEmpty ? tmp : (dir as NSString).appendingPathComponent(tmp)
    }
}
