import Foundation
@testable import Homogen
import XCTest

/// Interrupts at a known place, in-process: `ParticleEngine.requestStop(atBlock:iteration:)` raises
/// the stop when one block reaches one iteration of its schedule, while the other thread's block is
/// wherever it is. The checkpoint then holds completed blocks and blocks in progress, and the
/// resumed run must equal the uninterrupted one bit for bit — for sampling (Euler–Maruyama, weak2,
/// Metropolised: histograms, positions, acceptance counts) and for stationary estimates (batch-means
/// counts, exact observable sums, acceptance). Nothing here depends on timing, so nothing skips.
final class InterruptTests: XCTestCase {
    override func tearDown() {
        ParticleEngine.clearStopRequest()
        super.tearDown()
    }

    /// bench-1d with `count` particles (1024 per block) to t = `final`.
    private func bench(count: Int, final: Double = 0.01, outputs: String = "[0.005, 0.01]") throws -> Scenario {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml"), encoding: .utf8)
            .replacingOccurrences(of: "count = 100000", with: "count = \(count)")
            .replacingOccurrences(of: "final = 0.01", with: "final = \(final)")
            .replacingOccurrences(of: "outputs = [0.005, 0.01]", with: "outputs = \(outputs)")
        return try Scenario(toml: text, source: "bench-1d")
    }

    private func checkpointJSON(_ dir: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/checkpoint.json"))) as! [String: Any]
    }

    func testSamplingStoppedMidBlockResumesBitIdentically() throws {
        let s = try bench(count: 4 * 1024 + 300)   // 5 blocks; 1000 steps and 2 records each
        for scheme in [SchemeKind.em, .weak2, .metropolis] {
            let dir = temporaryPath("interrupt-\(scheme.rawValue)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let sampler = try ParticleSampler(scenario: s, options: .init(threads: 2, keepPositions: true, scheme: scheme))
            let full = try sampler.run()
            ParticleEngine.requestStop(atBlock: 2, iteration: 377)
            let policy = ParticleSampler.CheckpointPolicy(directory: dir, interval: 1e6)
            XCTAssertThrowsError(try sampler.run(checkpoint: policy)) { error in
                guard case SamplerError.interrupted(dir?) = error else { return XCTFail("\(scheme): \(error)") }
            }
            ParticleEngine.clearStopRequest()
            let json = try checkpointJSON(dir)
            let inProgress = json["in_progress"] as! [[String: Any]]
            let stopped = try XCTUnwrap(inProgress.first { $0["block"] as! Int == 2 }, "\(scheme): block 2 is in progress")
            XCTAssertEqual(stopped["iterations"] as! Int, 377, "\(scheme)")
            // Blocks are handed out in order: 0, 1 and 2 have started; the other thread may have moved on to 3.
            let started = Set((json["completed"] as! [Int]) + inProgress.map { $0["block"] as! Int })
            XCTAssertTrue(started.isSuperset(of: [0, 1, 2]) && started.isSubset(of: [0, 1, 2, 3]), "\(scheme): \(started)")
            let recorders = stopped["recorders"] as! [Any]
            XCTAssertEqual(recorders.count, scheme.isMetropolised ? 3 : 2, "\(scheme): histograms, (acceptance), positions")
            // MALA carries its cached coefficients (drift, noise, log π: 3 per particle in 1D), which
            // after a wrapped move can differ in the last bit from a fresh evaluation.
            XCTAssertEqual((stopped["scheme"] as? [Double])?.count, scheme.isMetropolised ? 3 * 1024 : nil, "\(scheme)")
            let resumed = try sampler.run(checkpoint: .init(directory: dir, interval: 1e6, resume: true))
            for (a, b) in zip(full.snapshots, resumed.snapshots) {
                XCTAssertEqual(a.counts, b.counts, "\(scheme): histogram at t = \(a.time)")
                XCTAssertEqual(a.positions, b.positions, "\(scheme): positions at t = \(a.time)")
                XCTAssertEqual(a.moves?.accepted, b.moves?.accepted, "\(scheme): accepted moves at t = \(a.time)")
                XCTAssertEqual(a.moves?.proposed, b.moves?.proposed, "\(scheme): proposed moves at t = \(a.time)")
            }
            if scheme.isMetropolised { XCTAssertGreaterThan(full.snapshots[0].moves!.proposed, 0) }
        }
    }

    /// A checkpoint written on one run is refused by a run it does not fit: another seed (the
    /// fingerprint), an edited file (its content hash), and a recorder state of the wrong shape.
    func testAMismatchedCheckpointIsRefused() throws {
        let s = try bench(count: 3 * 1024)
        let dir = temporaryPath("interrupt-refused")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sampler = try ParticleSampler(scenario: s, options: .init(threads: 2, scheme: .em))
        ParticleEngine.requestStop(atBlock: 1, iteration: 10)
        XCTAssertThrowsError(try sampler.run(checkpoint: .init(directory: dir, interval: 1e6)))
        ParticleEngine.clearStopRequest()
        let other = try ParticleSampler(scenario: s.replacing(particles: ParticleSettings(count: 3 * 1024, seed: 7)),
                                        options: .init(threads: 2, scheme: .em))
        XCTAssertThrowsError(try other.run(checkpoint: .init(directory: dir, interval: 1e6, resume: true))) { error in
            XCTAssertTrue("\(error)".contains("belongs to another run"), "\(error)")
        }
        var json = try checkpointJSON(dir)
        var states = json["recorders"] as! [Any]
        var histogram = states[0] as! [String: Any]
        histogram["counts"] = [1.0, 2.0]
        states[0] = histogram
        json["recorders"] = states
        // Edited: its content hash no longer matches.
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/checkpoint.json"))
        XCTAssertThrowsError(try sampler.run(checkpoint: .init(directory: dir, interval: 1e6, resume: true))) { error in
            XCTAssertTrue("\(error)".contains("corrupt (its content does not match the hash it was written with"), "\(error)")
        }
        // Without a hash (as written before session 13), the shapes are still checked.
        json.removeValue(forKey: "content_hash")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/checkpoint.json"))
        XCTAssertThrowsError(try sampler.run(checkpoint: .init(directory: dir, interval: 1e6, resume: true))) { error in
            XCTAssertTrue("\(error)".contains("corrupt (its recorder states or blocks do not fit this run)"), "\(error)")
        }
    }

    /// `sample --resume` with another run's checkpoint is refused before the time-step pilots (the
    /// checkpoint records the step it was sampled at); the run's own checkpoint resumes.
    func testAForeignCheckpointIsRefusedBeforeThePilots() throws {
        let s = try bench(count: 3 * 1024)
        let dir = temporaryPath("foreign-checkpoint"), files = temporaryPath("foreign-scenarios")
        defer { for path in [dir, files, dir.replacingOccurrences(of: ".checkpoint", with: "")] {
            try? FileManager.default.removeItem(atPath: path) } }
        let sampler = try ParticleSampler(scenario: s, options: .init(threads: 2, scheme: .weak2))
        ParticleEngine.requestStop(atBlock: 1, iteration: 10)
        XCTAssertThrowsError(try sampler.run(checkpoint: .init(directory: dir, interval: 1e6)))
        ParticleEngine.clearStopRequest()
        XCTAssertEqual(try checkpointJSON(dir)["dt"] as? Double, s.time.dt)
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml"), encoding: .utf8)
            .replacingOccurrences(of: "count = 100000", with: "count = 3072")
        try text.replacingOccurrences(of: "seed = 42", with: "seed = 7").write(toFile: files + "/other.toml", atomically: true, encoding: .utf8)
        try text.write(toFile: files + "/own.toml", atomically: true, encoding: .utf8)
        let other = try runHomogen(["sample", files + "/other.toml", "--resume", dir, "--out", files + "/other", "--threads", "2"])
        XCTAssertEqual(other.status, 65, other.stderr)
        XCTAssertTrue(other.stderr.contains("belongs to another run"), other.stderr)
        XCTAssertFalse(other.stderr.contains("time step: a pilot"), "refused after the pilots: \(other.stderr)")
        let own = try runHomogen(["sample", files + "/own.toml", "--resume", dir, "--out", files + "/own", "--threads", "2",
                                  "--skip-dt-check"])
        XCTAssertEqual(own.status, 0, own.stderr)
    }

    func testStationaryStoppedMidBlockResumesBitIdentically() throws {
        let s = try bench(count: 3000, final: 0.02, outputs: "[0.02]")   // 3 blocks, 2000 steps of 1e-5
        for scheme in [SchemeKind.metropolis, .em] {
            let dir = temporaryPath("interrupt-stationary-\(scheme.rawValue)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var o = StationaryEstimator.Options()
            o.scheme = scheme
            o.threads = 2
            o.batches = 10
            let estimator = try StationaryEstimator(scenario: s, options: o)
            let full = try estimator.runPartial(blocks: 0..<estimator.plan.blockCount)
            ParticleEngine.requestStop(atBlock: 1, iteration: 1234)
            XCTAssertThrowsError(try estimator.run(checkpoint: .init(directory: dir, interval: 1e6))) { error in
                guard case SamplerError.interrupted(dir?) = error else { return XCTFail("\(scheme): \(error)") }
            }
            ParticleEngine.clearStopRequest()
            let inProgress = try checkpointJSON(dir)["in_progress"] as! [[String: Any]]
            XCTAssertEqual(inProgress.first { $0["block"] as! Int == 1 }?["iterations"] as? Int, 1234, "\(scheme)")
            let resumed = try estimator.runPartial(blocks: 0..<estimator.plan.blockCount,
                                                   checkpoint: .init(directory: dir, interval: 1e6, resume: true))
            XCTAssertEqual(full.fineCounts, resumed.fineCounts, "\(scheme)")
            XCTAssertEqual(full.coarseCounts, resumed.coarseCounts, "\(scheme)")
            XCTAssertEqual(full.observableSums, resumed.observableSums, "\(scheme)")
            XCTAssertEqual(full.accepted, resumed.accepted, "\(scheme)")
            XCTAssertEqual(full.proposed, resumed.proposed, "\(scheme)")
            XCTAssertEqual(full.fineCounts.joined().reduce(0, +), 3000 * Double(estimator.recordings), "\(scheme): every recording counted once")
            if scheme == .metropolis { XCTAssertEqual(full.proposed, 3000 * 2000, "every step of every particle proposes once") }
        }
    }

    /// One worker's failure stops the other in the middle of its block: with two blocks of 50000
    /// steps on two threads and block 1 failing at its 10th iteration, the run ends having taken
    /// a small fraction of block 0's steps (without the stop, block 0 would finish: half the run).
    func testAWorkerFailureStopsTheOtherWorkersMidBlock() throws {
        let s = try bench(count: 2048, final: 0.5, outputs: "[0.5]")
        let sampler = try ParticleSampler(scenario: s, options: .init(threads: 2, scheme: .em))
        let progress = SamplerProgress(total: 2048 * sampler.stepCount)
        ParticleEngine.injectFailure(atBlock: 1, iteration: 10)
        XCTAssertThrowsError(try sampler.run(progress: progress)) { error in
            XCTAssertTrue(error is ParticleEngine.InjectedFailure, "\(error)")
        }
        XCTAssertLessThan(progress.fraction, 0.25, "block 0 went on after block 1 failed")
    }
}
