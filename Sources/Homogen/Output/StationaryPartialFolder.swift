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
        let p: StationaryPartial
        do { p = try JSON.decode(StationaryPartial.self, from: data) } catch {
            throw ShardMerge.MergeError(message: "\(file): not a stationary partial result (\(error))")
        }
        // What no run writes (a review merged a negative visit count, 1.44 acceptance and a
        // shard count of 0 without a word): refused as corrupt.
        func corrupt(_ what: String) -> ShardMerge.MergeError { ShardMerge.MergeError(message: "\(file): \(what) (edited or corrupt)") }
        guard p.shardCount >= 1, (0..<p.shardCount).contains(p.shardIndex) else {
            throw corrupt("shard \(p.shardIndex) of \(p.shardCount)")
        }
        guard p.firstBlock >= 0, p.firstBlock <= p.endBlock else { throw corrupt("blocks \(p.firstBlock)..<\(p.endBlock)") }
        for (name, table) in [("fine", p.fineCounts), ("coarse", p.coarseCounts)] {
            if let bad = table.joined().first(where: { !($0 >= 0) || $0 != $0.rounded() }) {
                throw corrupt("a \(name) visit count \(bad), not a whole number from 0")
            }
        }
        guard p.accepted >= 0, p.proposed >= 0, p.accepted <= p.proposed else {
            throw corrupt("\(p.accepted) moves accepted of \(p.proposed) proposed")
        }
        return p
    }
}
