import CKernels

/// A compiled straight-line program that evaluates some nodes of an `ExpressionGraph` over
/// arrays of points at once. Each instruction is one vectorised kernel call (kernels.h) over
/// the whole batch, so the interpretation cost is paid once per batch, not per point.
///
/// Registers: the input variables first, then the constants, then temporaries, which are
/// reused once their last reader has run (the working set stays in cache). Two arithmetic
/// operations where the first result's only reader is the second (t = a·b, then t + c) become one
/// fused instruction: one pass over the batch instead of two, the same rounding.
public struct Tape: Sendable {
    /// Variable indices (of the graph) that the caller fills, in register order.
    public let inputs: [Int]
    /// Register holding each requested output.
    let outputRegisters: [Int32]
    let constants: [(register: Int32, value: Double)]
    /// Instruction k: op code (kernels.h `hk_op`), destination and operand registers (`third` is
    /// read by fused pairs only).
    let ops: [Int32], dst: [Int32], lhs: [Int32], rhs: [Int32], third: [Int32]
    public let registerCount: Int
    public var instructionCount: Int { ops.count }

    /// Instructions per operation, most frequent first ("12 mul, 4 cos, 3 mul+add, …"): what one
    /// evaluation costs.
    public var operationSummary: String {
        var counts: [Int32: Int] = [:]
        for o in ops { counts[o, default: 0] += 1 }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\($0.value) \(Self.name(of: $0.key))" }.joined(separator: ", ")
    }

    /// One line per instruction ("r7 = mul r2 r5", "r8 = mul+add r2 r5 r6" for (r2·r5) + r6,
    /// "r8 = mul+sub' r2 r5 r6" for r6 − (r2·r5); constants listed first as "r3 = 6.283…"), then
    /// the output registers: what `homogen bench --show-tape` prints.
    public var listing: String {
        var lines = constants.map { "r\($0.register) = \($0.value)" }
        for k in ops.indices {
            let operands: String
            if let op = GraphOp(rawValue: ops[k]) {
                operands = op.isUnary ? "r\(lhs[k])" : "r\(lhs[k]) r\(rhs[k])"
            } else {
                operands = "r\(lhs[k]) r\(rhs[k]) r\(third[k])"
            }
            lines.append("r\(dst[k]) = \(Self.name(of: ops[k])) \(operands)")
        }
        lines.append("outputs: " + outputRegisters.map { "r\($0)" }.joined(separator: " "))
        return lines.joined(separator: "\n")
    }

    /// The four operations a fused pair is made of, in the kernels' order.
    static let fusable: [GraphOp] = [.add, .sub, .mul, .div]

    /// The kernel op code of the pair t = a OP1 b, then t OP2 c (or c OP2 t when `tSecond`).
    static func fusedCode(_ first: GraphOp, _ second: GraphOp, tSecond: Bool) -> Int32 {
        let i1 = Int32(fusable.firstIndex(of: first)!), i2 = Int32(fusable.firstIndex(of: second)!)
        return Int32(HK_FUSED.rawValue) + 8 * i1 + 2 * i2 + (tSecond ? 1 : 0)
    }

    static func name(of code: Int32) -> String {
        if let op = GraphOp(rawValue: code) { return "\(op)" }
        let k = Int(code) - Int(HK_FUSED.rawValue)
        guard k >= 0, k < 32 else { return "?" }
        return "\(fusable[k / 8])+\(fusable[k / 2 % 4])" + (k % 2 == 1 ? "'" : "")
    }

    /// Compiles `outputs` for evaluation with the given input variables (every variable the
    /// outputs depend on must be among `inputs`); `fusing: false` keeps every operation its own
    /// instruction (the reference the fused tape must agree with bit for bit).
    public init(graph: ExpressionGraph, outputs: [NodeID], inputs: [Int], fusing: Bool = true) {
        self.inputs = inputs
        // Nodes needed, by a reverse sweep in id (topological) order.
        var needed = [Bool](repeating: false, count: graph.count)
        for o in outputs { needed[o] = true }
        for id in stride(from: graph.count - 1, through: 0, by: -1) where needed[id] {
            if case .op(_, let a, let b) = graph.nodes[id] { needed[a] = true; needed[b] = true }
        }
        // Readers of every node (an output counts as one).
        var readers = [Int](repeating: 0, count: graph.count)
        for o in outputs { readers[o] += 1 }
        for id in 0..<graph.count where needed[id] {
            if case .op(let op, let a, let b) = graph.nodes[id] {
                readers[a] += 1
                if !op.isUnary { readers[b] += 1 }
            }
        }
        // Fused pairs: `second` absorbs its operand t (an add, sub, mul or div read by it alone and
        // not itself fused). reads[id]: the nodes an instruction reads, in operand order.
        func arithmetic(_ id: NodeID) -> (GraphOp, NodeID, NodeID)? {
            if case .op(let op, let a, let b) = graph.nodes[id], Self.fusable.contains(op) { return (op, a, b) }
            return nil
        }
        var absorbed = [Bool](repeating: false, count: graph.count)
        var fused: [NodeID: (code: Int32, t: NodeID)] = [:]
        var reads = [[NodeID]](repeating: [], count: graph.count)
        for id in 0..<graph.count where needed[id] {
            guard case .op(let op, let a, let b) = graph.nodes[id] else { continue }
            reads[id] = op.isUnary ? [a] : [a, b]
            guard fusing, Self.fusable.contains(op), a != b else { continue }
            for (t, other, tSecond) in [(a, b, false), (b, a, true)] {
                guard readers[t] == 1, fused[t] == nil, let (first, ta, tb) = arithmetic(t) else { continue }
                fused[id] = (Self.fusedCode(first, op, tSecond: tSecond), t)
                absorbed[t] = true
                reads[id] = [ta, tb, other]
                break
            }
        }
        var lastUse = [Int](repeating: -1, count: graph.count)
        for id in 0..<graph.count where needed[id] && !absorbed[id] {
            for operand in reads[id] { lastUse[operand] = id }
        }
        for o in outputs { lastUse[o] = Int.max }

        var register = [Int32](repeating: -1, count: graph.count)
        var next = Int32(inputs.count)
        var constants: [(Int32, Double)] = []
        for id in 0..<graph.count where needed[id] {
            switch graph.nodes[id] {
            case .variable(let v):
                guard let slot = inputs.firstIndex(of: v) else {
                    preconditionFailure("tape output depends on variable \(v), which is not an input")
                }
                register[id] = Int32(slot)
            case .constant(let bits):
                register[id] = next
                constants.append((next, Double(bitPattern: bits)))
                next += 1
            case .op: break
            }
        }
        var free: [Int32] = []
        var ops: [Int32] = [], dst: [Int32] = [], lhs: [Int32] = [], rhs: [Int32] = [], third: [Int32] = []
        for id in 0..<graph.count where needed[id] && !absorbed[id] {
            guard case .op(let op, _, _) = graph.nodes[id] else { continue }
            // The destination never aliases an operand (the kernels assume restrict).
            let r: Int32
            if let reused = free.popLast() { r = reused } else { r = next; next += 1 }
            register[id] = r
            let operands = reads[id].map { register[$0] }
            ops.append(fused[id]?.code ?? op.rawValue)
            dst.append(r)
            lhs.append(operands[0])
            rhs.append(operands.count > 1 ? operands[1] : operands[0])
            third.append(operands.count > 2 ? operands[2] : operands[0])
            // Temporaries whose last reader is this instruction become free after it.
            for operand in Set(reads[id]) where lastUse[operand] == id {
                if case .op = graph.nodes[operand] { free.append(register[operand]) }
            }
        }
        self.outputRegisters = outputs.map { register[$0] }
        self.constants = constants
        self.ops = ops; self.dst = dst; self.lhs = lhs; self.rhs = rhs; self.third = third
        self.registerCount = Int(next)
    }
}

/// Register storage for one `Tape`, for batches of up to `capacity` points, and the tape in the
/// form the C kernels run (`hk_program`, with its instruction arrays at stable addresses). Not
/// shared between threads: each worker owns one.
public final class TapeWorkspace {
    public let tape: Tape
    public let capacity: Int
    private let storage: UnsafeMutablePointer<Double>
    /// op, dst, a, b, c and the output registers, one after another.
    private let code: UnsafeMutablePointer<Int32>
    /// The tape and its registers for the kernels; the particle schemes set its dimension,
    /// noise layout and scale (`hk_program`).
    var program: hk_program

    public init(tape: Tape, capacity: Int) {
        self.tape = tape
        self.capacity = capacity
        let size = max(tape.registerCount, 1) * capacity
        storage = .allocate(capacity: size)
        storage.initialize(repeating: 0, count: size)
        for (r, value) in tape.constants {
            (storage + Int(r) * capacity).update(repeating: value, count: capacity)
        }
        let n = tape.ops.count
        let all = tape.ops + tape.dst + tape.lhs + tape.rhs + tape.third + tape.outputRegisters
        code = .allocate(capacity: max(all.count, 1))
        code.initialize(from: all, count: all.count)
        program = hk_program(regs: storage, stride: Int64(capacity), chunk: Int64(capacity), count: Int64(n),
                             op: code, dst: code + n, a: code + 2 * n, b: code + 3 * n, c: code + 4 * n,
                             outputs: code + 5 * n,
                             dimension: 0, cholesky: 0, scale: 1)
    }

    deinit {
        storage.deallocate()
        code.deallocate()
    }

    /// Where the caller writes input variable number `slot` (the order of `tape.inputs`).
    public func input(_ slot: Int) -> UnsafeMutablePointer<Double> { storage + slot * capacity }

    /// Where output `k` is after `run`.
    public func output(_ k: Int) -> UnsafeMutablePointer<Double> {
        storage + Int(tape.outputRegisters[k]) * capacity
    }

    /// Evaluates the tape on the first `count` points of the input arrays.
    public func run(count: Int) { run(offset: 0, count: count) }

    /// Evaluates the tape on points offset..<offset+count (a cache-sized chunk of a batch).
    public func run(offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= capacity)
        hk_run_tape(storage + offset, Int64(capacity), Int64(count), program.count,
                    program.op, program.dst, program.a, program.b, program.c)
    }
}
