import Foundation
import ArgumentParser
import Homogen

/// The run folder, checked before any work: a run that cannot write its results is refused
/// before it computes them.
enum OutputFolder {
    /// Why the run folder cannot be written (found before the run started).
    struct Problem: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot write the run folder \(path): \(reason) (checked before starting; nothing was computed)" }
    }

    /// A default run folder name, unique even for runs started at the same moment:
    /// runs/NAME-COMMAND-YYYYMMDD-HHMMSS-mmm-PID (UTC time with milliseconds, then the process id).
    static func defaultName(_ s: Scenario, _ command: String) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss-SSS"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return "runs/\(s.name)-\(command)-\(f.string(from: Date()))-\(getpid())"
    }

    /// Checks that `path` does not exist, that its parent folder exists or can be created and
    /// is writable, and that the file system has room for `estimatedBytes` (twice over, as
    /// files are written under a temporary name first) plus 1 MiB.
    static func check(_ path: String, estimatedBytes: Int) throws {
        guard !path.isEmpty else { throw ValidationError("--out must name a folder (it is empty)") }
        if FileManager.default.fileExists(atPath: path) {
            throw Problem(path: path, reason: "it already exists; choose another --out or remove it")
        }
        var link = stat()
        if lstat(path, &link) == 0 {   // (fileExists follows links: a dangling one passed, and the run failed at its end)
            throw Problem(path: path, reason: "it already exists (a symbolic link whose target is missing); choose another --out or remove it")
        }
        var parent = AtomicFile.parentFolder(of: path)
        if parent.isEmpty { parent = "." }
        do { try AtomicFile.createFolders(parent) } catch let e as AtomicFile.WriteError {
            throw Problem(path: path, reason: "its parent folder \(e.path) cannot be created: \(e.reason)")
        }
        // The probe takes the name the folder is written under (`AtomicFile.temporaryName`), which
        // is longer than its own: a name that fits but whose temporary name does not (250 bytes)
        // was found out only after the whole run.
        let probe = AtomicFile.temporaryName(for: path)
        do {
            try AtomicFile.writeContents(Data("probe\n".utf8), toPath: probe)
        } catch let e as AtomicFile.WriteError {
            if e.reason.contains("too long") {
                let name = (path as NSString).lastPathComponent, temporary = (probe as NSString).lastPathComponent
                throw Problem(path: path, reason: "its name is too long (\(name.utf8.count) bytes; the folder is written under a "
                              + "temporary name \(temporary.utf8.count - name.utf8.count) bytes longer, and a name holds at most "
                              + "255): choose a shorter --out")
            }
            throw Problem(path: path, reason: "its parent folder \(parent) is not writable: \(e.reason)")
        }
        unlink(probe)
        var fs = statvfs()
        if statvfs(parent, &fs) == 0 {
            let free = Int(fs.f_bavail) &* Int(fs.f_frsize)
            let needed = 2 * estimatedBytes + (1 << 20)
            if free < needed {
                throw Problem(path: path, reason: "the disk is full or nearly so: \(megabytes(free)) free in \(parent), "
                              + "and the run writes about \(megabytes(estimatedBytes)) (free \(megabytes(needed)) or choose another --out)")
            }
        }
    }

    /// Bytes a run folder of histograms or densities takes: `columns` numbers (cell bounds and values) of about 24
    /// characters per output cell and time, plus positions (`.npy`, 8 bytes per coordinate).
    static func estimate(_ s: Scenario, columns: Int, positions: Bool = false) -> Int {
        let cellsPerTime = s.dimension.cells(perAxis: s.cells)
        let outputs = s.time.outputs.count
        var bytes = outputs * cellsPerTime * columns * 24 + 64 * 1024
        if positions { bytes += outputs * s.particles.count * s.dimension.count * 8 }
        return bytes
    }

    private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
