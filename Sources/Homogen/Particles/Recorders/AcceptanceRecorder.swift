/// Accepted and proposed moves of a Metropolised scheme per output interval: at record k it
/// books the scheme's moves since the previous record of the block (record 0 counts the steps
/// from the start to the first record). Layout `counts[2k]` accepted, `counts[2k + 1]` proposed.
/// Integer counts per block, summed over blocks, so totals are identical for any number of
/// threads, shards or checkpoints.
final class AcceptanceRecorder: ParticleRecorder {
    let records: Int
    private unowned let scheme: ParticleScheme
    private(set) var committed: [Int]
    private(set) var pending: [Int]
    /// The scheme's running totals at the block's previous record.
    private var baseline = (accepted: 0, proposed: 0)

    init(records: Int, scheme: ParticleScheme) {
        precondition(scheme.acceptance != nil)
        self.records = records
        self.scheme = scheme
        committed = [Int](repeating: 0, count: 2 * records)
        pending = committed
    }

    private var now: (accepted: Int, proposed: Int) { scheme.acceptance! }

    func beginBlock(_ block: ParticleBlock) {
        for i in pending.indices { pending[i] = 0 }
        baseline = now
    }

    func record(_ block: ParticleBlock, at k: Int) {
        let n = now
        pending[2 * k] += n.accepted - baseline.accepted
        pending[2 * k + 1] += n.proposed - baseline.proposed
        baseline = n
    }

    func commitBlock() {
        for i in committed.indices { committed[i] += pending[i] }
    }

    /// A checkpoint's state of the block in progress: the pending counts per record, then the
    /// moves since the last record (accepted, proposed).
    var pendingState: [Int] {
        let n = now
        return pending + [n.accepted - baseline.accepted, n.proposed - baseline.proposed]
    }

    /// Restores `pendingState` into a block resumed from a checkpoint (after `beginBlock`).
    func restorePending(_ state: [Int]) {
        for i in pending.indices { pending[i] = state[i] }
        let n = now
        baseline = (n.accepted - state[2 * records], n.proposed - state[2 * records + 1])
    }
}
