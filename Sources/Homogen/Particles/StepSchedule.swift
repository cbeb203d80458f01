/// One entry of a block's time loop: a step of length `h` (0 for a record without a step), then,
/// when `record` is set, a record of the positions under that index.
struct ScheduledStep {
    /// The step length (0 only for a record at the current time, e.g. an output at t = 0).
    let h: Double
    /// Time after the step.
    let time: Double
    /// Index of the record taken after the step (output time, or recording number), if any.
    let record: Int?
}

/// The time loop every block of a run follows: `TimeSchedule` (outputs at given times) for
/// sampling, `RecordingSchedule` (regular recordings after a burn-in) for stationary estimates.
protocol StepSchedule: Sequence where Element == ScheduledStep {
    /// Number of steps of positive length.
    var stepCount: Int { get }
}

/// `steps` steps of length `dt`; after the burn-in, a record every `every` steps, numbered from 0,
/// `recordings` in all.
struct RecordingSchedule: StepSchedule {
    let dt: Double
    let steps: Int
    let burnIn: Int
    let every: Int

    var stepCount: Int { steps }

    /// Records taken after the burn-in.
    var recordings: Int { (steps - burnIn) / every }

    func makeIterator() -> Iterator { Iterator(schedule: self) }

    struct Iterator: IteratorProtocol {
        let schedule: RecordingSchedule
        var step = 0

        mutating func next() -> ScheduledStep? {
            guard step < schedule.steps else { return nil }
            step += 1
            let after = step - schedule.burnIn
            let k = after > 0 && after % schedule.every == 0 ? after / schedule.every - 1 : nil
            return ScheduledStep(h: schedule.dt, time: Double(step) * schedule.dt,
                                 record: k.flatMap { $0 < schedule.recordings ? $0 : nil })
        }
    }
}
