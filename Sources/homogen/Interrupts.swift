import Foundation
import Homogen

/// What SIGINT and SIGTERM do. While the time-step pilots or the sampler run, they are asked to
/// stop at a safe point (`ParticleSampler.requestStop`): the pilots done stay in their journal, a
/// checkpoint is written where one was asked for, and the command exits 130. Anywhere else —
/// solves, distances, bootstrap, reading — nothing would be kept between the signal and the end of
/// the command (run folders are written whole, at the end), so it exits 130 at once, saying so.
/// (Before, `compare` caught the signal during its distances and bootstrap and carried on.)
enum Interrupts {
    /// Installs the handlers. `safePoints`: the command has pilots or a sampler that stop on request.
    static func install(_ command: String, safePoints: Bool) {
        let text = "\n\(command): interrupted; nothing was written\n"
        message = strdup(text)
        messageLength = text.utf8.count
        immediate = safePoints ? 0 : 1
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// From now on a signal ends the command at once (the pilots and the sampling are over).
    static func stopImmediately() { immediate = 1 }

    /// How to make the run resumable, printed after an interruption of the pilots or the sampler
    /// when the command can (`sample`, `stationary` without --checkpoint-every); nil otherwise.
    nonisolated(unsafe) static var checkpointAdvice: String?

    // Read by the signal handler: only async-signal-safe calls (write, _exit) there.
    private nonisolated(unsafe) static var message: UnsafeMutablePointer<CChar>?
    private nonisolated(unsafe) static var messageLength = 0
    private nonisolated(unsafe) static var immediate: sig_atomic_t = 0

    private static let handler: @convention(c) (Int32) -> Void = { _ in
        if Interrupts.immediate != 0 {
            if let m = Interrupts.message { _ = write(2, m, Interrupts.messageLength) }
            _exit(130)
        }
        ParticleSampler.requestStop()
    }
}
