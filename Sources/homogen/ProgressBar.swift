import Foundation

/// A progress bar on standard error for long work: it appears after one second, redraws
/// every 0.2 s, and stays silent when standard error is not a terminal.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let progress: @Sendable () -> Double
    private let lock = NSLock()
    private var finished = false
    private var drawn = false

    init(label: String, progress: @escaping @Sendable () -> Double) {
        self.label = label
        self.progress = progress
        guard isatty(STDERR_FILENO) != 0 else { return }
        let start = Date()
        Thread.detachNewThread { [self] in
            Thread.sleep(forTimeInterval: 1)
            while !isFinished {
                draw(elapsed: Date().timeIntervalSince(start))
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    private var isFinished: Bool { lock.withLock { finished } }

    private func draw(elapsed: Double) {
        let f = max(0, min(1, progress()))
        let width = 30
        let full = Int(f * Double(width))
        let eta = f > 0.01 ? String(format: ", %.0f s left", elapsed * (1 - f) / f) : ""
        let line = "\r\(label) [" + String(repeating: "#", count: full) + String(repeating: ".", count: width - full)
            + String(format: "] %5.1f%%  %.0f s", 100 * f, elapsed) + eta + "   "
        lock.withLock {
            guard !finished else { return }
            drawn = true
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Stops the bar and clears its line.
    func finish() {
        lock.withLock {
            finished = true
            if drawn { FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 79) + "\r").utf8)) }
        }
    }
}
