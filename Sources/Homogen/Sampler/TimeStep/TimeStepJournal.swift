import Foundation

/// What the time-step control has measured for one run, kept on disk as it goes, so that an
/// interrupted control (SIGINT or SIGTERM during the pilots), a rerun, a `--resume`, every shard of
/// a sharded run and every MPI rank reuse the pilots already done instead of repeating them.
///
/// One JSON file per run key: the pilots' estimates by step, the local weak error probe's levels,
/// and, once made, the decision. The key (FNV-1a 64) covers everything the measurement depends on:
/// the scenario's run fingerprint (resolved scenario, seed, block size, version), the scheme, the
/// run's N, the pilot size, the requested step (or none), and the build (`build`, e.g. the git
/// commit) — a journal is never read by a build that might measure differently. Files are written
/// atomically (`AtomicFile`); an unreadable or mismatched file is ignored, never trusted.
public final class TimeStepJournal {
    /// A pilot as measured.
    struct Pilot: Codable {
        let dt: Double
        /// [output time][scale]; nil when the pilot blew up.
        let estimates: [[DiscretisationBias.Estimate]]?
        let trial: TimeStepControl.Trial
    }

    struct Contents: Codable {
        var key: String
        var pilots: [Pilot] = []
        /// The probe's levels once it has finished (nil before).
        var localErrors: [LocalWeakError.Level]?
        var decision: TimeStepControl.Report?
    }

    /// The folder that holds journals: `$HOMOGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/homogen/time-step`,
    /// else `~/.cache/homogen/time-step`.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["HOMOGEN_CACHE_DIR"], !dir.isEmpty { return dir }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return ((base as NSString).appendingPathComponent("homogen") as NSString).appendingPathComponent("time-step")
    }

    public let path: String
    private(set) var contents: Contents
    /// The key's text without the requested step, the folder and the build (for `sibling`).
    private let measurement: String
    private let directory: String
    private let build: String

    /// Opens (or starts) the journal of `control`'s measurement for a requested step (nil: the
    /// control chooses) in `directory`; `build` names the build (e.g. its git commit).
    public convenience init(control: TimeStepControl, requested: Double?, directory: String = TimeStepJournal.defaultDirectory,
                            build: String) throws {
        let s = control.scenario
        var text = try s.runFingerprint(scheme: control.scheme)
        text += "|\(control.scheme.rawValue)|\(s.particles.count)|\(control.pilotParticles)|"
        self.init(measurement: text, requested: requested, directory: directory, build: build)
    }

    private init(measurement: String, requested: Double?, directory: String, build: String) {
        self.measurement = measurement
        self.directory = directory
        self.build = build
        let text = measurement + (requested.map { String($0.bitPattern) } ?? "auto") + "|\(HomogenVersion.current)|\(build)"
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let key = String(format: "%016llx", h)
        path = (directory as NSString).appendingPathComponent("\(key).json")
        contents = Contents(key: key)
        if let data = FileManager.default.contents(atPath: path),
           let stored = try? JSON.decode(Contents.self, from: data), stored.key == key {
            contents = stored
        }
    }

    /// The journal of the same measurement with another requested step. A refusal records its
    /// passing step's decision there, so that rerunning with that step, as the refusal advises,
    /// reuses the decision instead of measuring from a different top step.
    func sibling(requested: Double) -> TimeStepJournal {
        TimeStepJournal(measurement: measurement, requested: requested, directory: directory, build: build)
    }

    /// The pilot at step dt, if measured.
    func pilot(_ dt: Double) -> Pilot? { contents.pilots.first { $0.dt.bitPattern == dt.bitPattern } }

    /// Pilots reused so far (for the progress line).
    public var pilotsKept: Int { contents.pilots.count }

    /// The decision, if one was made.
    public var decision: TimeStepControl.Report? { contents.decision }

    func record(_ p: Pilot) throws {
        contents.pilots.removeAll { $0.dt.bitPattern == p.dt.bitPattern }
        contents.pilots.append(p)
        try save()
    }

    func record(localErrors: [LocalWeakError.Level]) throws {
        contents.localErrors = localErrors
        try save()
    }

    func record(decision: TimeStepControl.Report) throws {
        contents.decision = decision
        try save()
    }

    /// Why the journal could not be written, if it could not (a cache folder that is not
    /// writable: a home of /nonexistent, a read-only HOMOGEN_CACHE_DIR). The run goes on without
    /// it — a cache is no reason to refuse a run (a review's user `nobody` could not sample at all)
    /// — and the command says that the pilots will not be kept.
    public private(set) var writeFailure: String?

    private func save() throws {
        do {
            try AtomicFile.createFolders(AtomicFile.parentFolder(of: path))
            try AtomicFile.write(try JSON.encode(contents), to: path)
        } catch {
            if writeFailure == nil { writeFailure = "\(error)" }
        }
    }
}
