/// Accepted and proposed moves of a Metropolised scheme, per slot: with one slot per output time,
/// record k books the scheme's moves since the previous record of the block (record 0 counts the
/// steps from the start to the first record); with one slot, every move of the block (a
/// stationary run's acceptance rate). Moves after the block's last record are booked in the last
/// slot when the block commits. Layout `counts[2s]` accepted, `counts[2s + 1]` proposed. Integer
/// counts per block, summed over blocks, so totals are identical for any number of threads,
/// shards or checkpoints.
final class AcceptanceRecorder: ParticleRecorder {
    let slots: Int
    private unowned let scheme: ParticleScheme
    private var committed: [Int]
    private var pending: [Int]
    /// The scheme's running totals at the block's previous record.
    private var baseline = (accepted: 0, proposed: 0)

    /// `slots`: the output times (a slot each), or 1 for the block's totals.
    init(slots: Int, scheme: ParticleScheme) {
        precondition(scheme.acceptance != nil && slots >= 1)
        self.slots = slots
        self.scheme = scheme
        committed = [Int](repeating: 0, count: 2 * slots)
        pending = committed
    }

    private var now: (accepted: Int, proposed: Int) { scheme.acceptance! }

    private func book(into slot: Int) {
        let n = now
        pending[2 * slot] += n.accepted - baseline.accepted
        pending[2 * slot + 1] += n.proposed - baseline.proposed
        baseline = n
    }

    func beginBlock(_ block: ParticleBlock) {
        for i in pending.indices { pending[i] = 0 }
        baseline = now
    }

    func record(_ block: ParticleBlock, at k: Int) { book(into: slots == 1 ? 0 : k) }

    func commitBlock() {
        book(into: slots - 1)
        for i in committed.indices { committed[i] += pending[i] }
    }

    var committedState: RecorderState? { RecorderState(integers: committed) }

    /// The pending counts per slot, then the moves since the last record (accepted, proposed).
    var pendingState: RecorderState? {
        let n = now
        return RecorderState(integers: pending + [n.accepted - baseline.accepted, n.proposed - baseline.proposed])
    }

    func restorePending(_ state: RecorderState) {
        for i in pending.indices { pending[i] = state.integers[i] }
        let n = now
        baseline = (n.accepted - state.integers[2 * slots], n.proposed - state.integers[2 * slots + 1])
    }
}
