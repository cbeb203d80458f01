import Foundation

/// The folder of one stationary shard (`homogen stationary --shard K/N`): `partial.json`, the
/// shard's raw accumulators (`StationaryPartial`), which `StationaryEstimator.finish` combines.
public enum StationaryPartialFolder {
    public static let fileName = "partial.json"

    /// Writes the folder whole (it appears complete or not at all).
    public static func write(_ partial: StationaryPartial, to path: String) throws {
        try AtomicFile.writeFolder(at: path) { dir in
            try AtomicFile.write(try JSON.encode(partial), to: dir + "/" + fileName)
        }
    }

    /// Reads the partial result of a shard folder.
    public static func read(_ folder: String) throws -> StationaryPartial {
        let file = folder + "/" + fileName
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ShardMerge.MergeError(message: "\(file): missing (is \(folder) a stationary shard folder?)", missing: true)
        }
        do { return try JSON.decode(StationaryPartial.self, from: data) } catch {
            throw ShardMerge.MergeError(message: "\(file): not a stationary partial result (\(error))")
        }
    }
}
