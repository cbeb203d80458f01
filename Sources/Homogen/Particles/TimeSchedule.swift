/// The time steps of a sampling run: the uniform grid t_k = k·dt, with each output time inserted where
/// it falls between two grid points (the step before it is shortened, the grid continues
/// unchanged after it). Runs end at the last output time.
struct TimeSchedule: StepSchedule {
    let dt: Double
    let outputs: [Double]

    /// Grid points or output times closer than this are the same time.
    var tolerance: Double { 1e-9 * dt }

    /// Number of steps with h > 0.
    var stepCount: Int {
        guard let last = outputs.last else { return 0 }
        let grid = Int(((last + tolerance) / dt).rounded(.down))
        let offGrid = outputs.filter { t in
            t > tolerance && abs(t - (t / dt).rounded() * dt) > tolerance
        }.count
        return grid + offGrid
    }

    func makeIterator() -> Iterator { Iterator(schedule: self) }

    struct Iterator: IteratorProtocol {
        let schedule: TimeSchedule
        var t = 0.0
        var k = 0
        var nextOutput = 0

        init(schedule: TimeSchedule) { self.schedule = schedule }

        mutating func next() -> ScheduledStep? {
            guard nextOutput < schedule.outputs.count else { return nil }
            let target = schedule.outputs[nextOutput]
            let tol = schedule.tolerance
            if abs(target - t) <= tol {
                nextOutput += 1
                return ScheduledStep(h: 0, time: t, record: nextOutput - 1)
            }
            let gridNext = Double(k + 1) * schedule.dt
            let h: Double
            if gridNext <= target + tol {
                // From a grid point the step is dt itself: (k+1)·dt − k·dt differs from dt in its
                // last bits by k, and the solver factorises once per distinct step length.
                h = t == Double(k) * schedule.dt ? schedule.dt : gridNext - t
                t = gridNext
                k += 1
            } else {
                h = target - t
                t = target
            }
            if abs(target - t) <= tol {
                nextOutput += 1
                return ScheduledStep(h: h, time: t, record: nextOutput - 1)
            }
            return ScheduledStep(h: h, time: t, record: nil)
        }
    }
}
