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

    /// The cause of a failed system call, in words (`errno`): "the disk is full" for ENOSPC.
    public static func reason(errno code: Int32) -> String {
        switch code {
        case ENOSPC: return "the disk is full (ENOSPC)"
        case EDQUOT: return "the disk quota is exceeded (EDQUOT)"
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "the file system is read-only"
        case ENOTDIR: return "a component of the path is a file, not a folder"
        case ENAMETOOLONG: return "the name is too long"
        case EIO: return "an input/output error of the device (EIO)"
        default: return String(cString: strerror(code))
        }
    }

    /// Creates (or truncates) `path` and writes all of `data` to it, flushed to the device;
    /// a failure names its cause (a full disk shows here, or at the flush, not later).
    public static func writeContents(_ data: Data, toPath path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: reason(errno: errno)) }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if failure == 0, fsync(fd) != 0, errno != EINVAL, errno != EROFS { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure != 0 { throw WriteError(path: path, reason: reason(errno: failure)) }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let temporary = temporaryName(for: path)
        do {
            try writeContents(data, toPath: temporary)
        } catch let e as WriteError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw WriteError(path: path, reason: e.reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = reason(errno: errno)
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
            throw WriteError(path: path, reason: "it already exists; choose another folder or remove it")
        }
        let parent = parentFolder(of: path)
        if !parent.isEmpty {
            do { try createFolders(parent) } catch let e as WriteError {
                throw WriteError(path: path, reason: "cannot create its parent folder \(e.path): \(e.reason)")
            }
        }
        let temporary = temporaryName(for: path)
        guard mkdir(temporary, 0o755) == 0 else {
            throw WriteError(path: path, reason: "cannot create \(temporary): \(reason(errno: errno))")
        }
        do {
            try fill(temporary)
            try finish(temporary)
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = reason(errno: errno)
            try? fm.removeItem(atPath: temporary)
            throw WriteError(path: path, reason: reason)
        }
    }

    /// Creates `path` and any missing parent folders (as `mkdir -p`); a failure names the
    /// folder that could not be created and why.
    public static func createFolders(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            if isFolder.boolValue { return }
            throw WriteError(path: path, reason: "it is a file, not a folder")
        }
        let parent = parentFolder(of: path)
        if !parent.isEmpty, parent != path { try createFolders(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw WriteError(path: path, reason: reason(errno: errno)) }
    }

    public static func temporaryName(for path: String) -> String {
        let (dir, base) = split(path)
        let tmp = ".\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return dir.isEmpty ? tmp : dir == "/" ? "/" + tmp : dir + "/" + tmp
    }

    /// The folder that holds `path` ("" for a bare name, "/" for a name in the root), trailing
    /// slashes ignored. Written by hand: swift-corelibs-foundation's
    /// `NSString.deletingLastPathComponent` traps on some one-character paths ("q").
    public static func parentFolder(of path: String) -> String { split(path).folder }

    private static func split(_ path: String) -> (folder: String, name: String) {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return ("", String(p)) }
        let name = String(p[p.index(after: slash)...])
        return (slash == p.startIndex ? "/" : String(p[..<slash]), name)
    }
}
