import CKernels
import Dispatch
import Foundation

/// The second irreducible part of a sampler step, beside the normals (`NormalFloor`): evaluating
/// the coefficient tape (drift, noise) at every particle. `measure` times the whole tape, and
/// separately its library-function instructions alone (sin, cos, tan, exp, log, tanh, pow: glibc's
/// vector math library, libmvec), on the same threads and chunk size as the Euler–Maruyama
/// scheme, at fixed positions spread over the torus. `homogen bench` prints both, so that a step's
/// time splits into normals, library functions, tape arithmetic and the engine's own work.
public enum TapeCost {
    public struct Figures: Sendable {
        /// Wall nanoseconds per particle for the whole tape, all threads together.
        public let tapeNs: Double
        /// The same for the tape's library-function instructions only.
        public let libraryFunctionNs: Double
    }

    /// The instructions that call a vector math library function.
    static let libraryFunctions: Set<GraphOp> = [.sin, .cos, .tan, .exp, .log, .tanh, .pow]

    /// Times `tape` on `threads` threads, `evaluations` particles in all (chunks of
    /// `EulerMaruyamaScheme.chunkSize` points; inputs x_j spread over [0, 1), y_j = x_j/ε). The
    /// library functions are timed on the arguments they meet in the tape, captured from one run.
    public static func measure(tape: Tape, dimension: TorusDimension, inverseEpsilon: Int, threads: Int,
                               evaluations: Int = 20_000_000) -> Figures {
        let chunk = EulerMaruyamaScheme.chunkSize
        let w = TapeWorkspace(tape: tape, capacity: chunk)
        for j in dimension.axes {
            for i in 0..<chunk {
                let x = (Double(i) + 0.5) / Double(chunk)
                w.input(j)[i] = x
                w.input(dimension.count + j)[i] = x * Double(inverseEpsilon)
            }
        }
        // Library instruction m reads registers 3m, 3m+1 and writes 3m+2 of `captured`.
        let keep = tape.ops.indices.filter { GraphOp(rawValue: tape.ops[$0]).map(libraryFunctions.contains) ?? false }
        var captured = [Double](repeating: 0, count: max(1, 3 * keep.count * chunk))
        var m = 0
        for i in tape.ops.indices {
            if m < keep.count, keep[m] == i {
                for (slot, r) in [tape.lhs[i], tape.rhs[i]].enumerated() {
                    for p in 0..<chunk { captured[(3 * m + slot) * chunk + p] = w.input(Int(r))[p] }
                }
                m += 1
            }
            hk_run_tape(w.input(0), Int64(chunk), Int64(chunk), 1,
                        w.program.op + i, w.program.dst + i, w.program.a + i, w.program.b + i, w.program.c + i)
        }
        let library = (op: keep.map { tape.ops[$0] }, dst: keep.indices.map { Int32(3 * $0 + 2) },
                       a: keep.indices.map { Int32(3 * $0) }, b: keep.indices.map { Int32(3 * $0 + 1) })
        let whole = time(threads: threads, evaluations: evaluations) { () -> () -> Void in
            let own = TapeWorkspace(tape: tape, capacity: chunk)
            for r in dimension.variables { own.input(r).update(from: w.input(r), count: chunk) }
            return { own.run(count: chunk) }
        }
        let calls = keep.isEmpty ? 0 : time(threads: threads, evaluations: evaluations) { () -> () -> Void in
            var regs = captured   // this thread's own copy
            return {
                regs.withUnsafeMutableBufferPointer {
                    hk_run_tape($0.baseAddress!, Int64(chunk), Int64(chunk), Int64(library.op.count), library.op,
                                library.dst, library.a, library.b, library.b)
                }
            }
        }
        return Figures(tapeNs: whole, libraryFunctionNs: calls)
    }

    /// Wall nanoseconds per point of `body` (one chunk per call), each thread with its own body.
    private static func time(threads: Int, evaluations: Int, make: () -> () -> Void) -> Double {
        let t = max(1, threads), chunk = EulerMaruyamaScheme.chunkSize
        let rounds = max(1, evaluations / t / chunk)
        let bodies = (0..<t).map { _ in make() }
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: t) { k in
            for _ in 0..<rounds { bodies[k]() }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return seconds * 1e9 / Double(rounds * chunk * t)
    }
}
