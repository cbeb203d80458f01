import ArgumentParser
import Foundation
import Homogen

struct EffectiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "effective",
        abstract: "Compute the homogenised coefficients: pi_bar, A_hom, B_bar (and C_gh in 1D).")

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @Flag(help: "Print JSON (keys pi_bar, A_hom, B_bar, C_gh in 1D, A_hom_bounds in 2D and 3D).")
    var json = false

    @Option(parsing: .unconditional, help: "2D and 3D: cells per side of the unit cell for the cell problem (even; default: doubled from 64 in 2D, 16 in 3D, until the certified bracket on A_hom is 2% wide, at most 512 in 2D, 64 in 3D; at most 128 in 3D when given).", transform: parseCount)
    var resolution: Int?

    @Option(parsing: .unconditional, help: "Slow-grid points per axis where the coefficients depend on x (default 64 in 1D, 8 in 2D, 4 in 3D; at most 4096, 64, 16).", transform: parseCount)
    var slowPoints: Int?

    @Flag(inversion: .prefixedNo, help: "2D and 3D: compute the Gromov-Hausdorff integrand phi(v) = N(v)^2 of (5.17) (about 1.5 s in 2D, 6 s in 3D).")
    var gh = true

    func run() throws {
        Interrupts.install("effective", safePoints: false)
        let s = try Scenario.load(path: scenario)
        let e = try EffectiveCoefficients.compute(s, resolution: resolution, slowPoints: slowPoints)
        if let resolution, e.resolution == nil {
            printError("effective: note: --resolution \(resolution) is not used: A_hom has a closed form here, with no cell grid "
                       + "(the method line says which)")
        }
        // The stable norm (5.17) in 2D and 3D (in 1D the Gromov–Hausdorff constant is C_gh).
        let norm = s.dimension == .two && gh ? try StableNorm.compute(s, x: e.slowGrid[0]) : nil
        let norm3D = s.dimension == .three && gh ? try StableNorm3D.compute(s, x: e.slowGrid[0]) : nil
        let xDependent = s.dimension != .one && StableNorm.mediumDependsOnX(s)
        if json {
            print(String(decoding: try JSON.encode(EffectiveReport(e, gh: norm, gh3D: norm3D, ghAtX: xDependent ? e.slowGrid[0] : nil),
                                                   snakeCase: false),
                         as: UTF8.self), terminator: "")
            return
        }
        print("# \(s.name): \(s.dimension)D, eps = \(s.epsilonText)")
        print("# method: \(e.method)")
        if let r = e.resolution, let d = e.resolutionDifference {
            let grid = [String](repeating: "\(r)", count: s.dimension.count).joined(separator: " x ")
            print("# cell grid \(grid); |A_hom(R) - A_hom(R/2)| = \(d) (largest change of either bound)")
        }
        if let l = e.aHomLower, let u = e.aHomUpper {
            print("# \(e.bracketCaveat == nil ? "certified bracket" : "bracket (NOT certified: see the note)") lower <= A_hom <= upper "
                  + "(Loewner order: <lower v, v> <= <A_hom v, v> <= <upper v, v>):")
            if let caveat = e.bracketCaveat { print("# note: \(caveat)") }
            if let caveat = e.resolutionCaveat { print("# note: \(caveat)") }
            if e.isConstant {
                print("A_hom_bounds at x = \(e.slowGrid[0].map { String(format: "%.4f", $0) }.joined(separator: ", ")): lower = \(format(l[0])), upper = \(format(u[0]))")
                print("A_hom at x = \(e.slowGrid[0].map { String(format: "%.4f", $0) }.joined(separator: ", ")): \(format(e.aHom[0]))")
            } else {
                let d = e.dimension.count
                let w = zip(l, u).map { EffectiveCoefficients.bracketWidth(lower: $0, upper: $1, dimension: d) }.max() ?? 0
                print("# largest relative bracket width over the slow grid (in any direction): \(String(format: "%.3g", w)) (bounds per point: --json)")
            }
        }
        if e.isConstant {
            print("B_bar is constant (pi(x, y) factorises into slow and fast factors and B depends on y only)")
            print("B_bar = \(format(e.bBar[0]))")
            switch e.dimension {
            case .one: print("B_bar^-1 = A_hom / pi_bar = \(format([1 / e.bBar[0][0]]))")
            case .two, .three:
                let inverse = SymmetricMatrix(rowMajor: e.bBar[0], dimension: e.dimension.count).inverse
                print("B_bar^-1 = A_hom / pi_bar = \(inverse.map { format($0.rowMajor) } ?? "(B_bar is not positive definite)")")
            }
            if let c = e.cGH {
                // 12 digits: the quadratures agree to about 1e-13, so a ratio of 1 - 6e-16 is 1.
                print(String(format: "C_gh = %.12g; B_bar / C_gh = %.12g (>= 1, equality iff pi is proportional to sqrt(B))",
                             c[0], e.bBar[0][0] / c[0]))
            }
            print("pi_bar(x) and A_hom(x) = pi_bar(x) B_bar^-1 on the slow grid: --json")
        } else {
            print("B_bar depends on x: values on the slow grid")
            switch e.dimension {
            case .one: printTable1D(e)
            case .two, .three: printTable(e)
            }
        }
        if let norm { printGromovHausdorff(norm, e, xDependent: xDependent) }
        if let norm3D { printGromovHausdorff(norm3D, e, xDependent: xDependent) }
    }

    /// 3D: φ against ⟨B̄ v, v⟩ at the 13 lattice directions of the cube (axes, face and body diagonals).
    private func printGromovHausdorff(_ g: StableNorm3D, _ e: EffectiveCoefficients, xDependent: Bool) {
        let b = e.bBar[0]
        let at = xDependent ? " of the cell metric at x = (\(e.slowGrid[0].map { String(format: "%.4f", $0) }.joined(separator: ", ")))" : ""
        print("# Gromov-Hausdorff integrand phi(v) = N(v)^2 (5.17)\(at), against <B_bar v, v>\(e.isConstant ? "" : " at the first slow point"), "
              + "unit v; \(g.covectors.count) covectors, \(String(format: "%.2f", g.seconds)) s")
        print("v  phi  B_bar_vv  phi/B_bar_vv")
        var largest = 0.0
        for (v, u) in zip(StableNorm3D.latticeDirections, StableNorm3D.unitLatticeDirections) {
            var q = 0.0
            for r in 0..<3 { for c in 0..<3 { q += b[3 * r + c] * u[r] * u[c] } }
            let p = g.phi(u)
            largest = max(largest, p / q)
            print("(\(v.map { String(Int($0)) }.joined(separator: ", ")))  \(String(format: "%.6f  %.6f  %.4f", p, q, p / q))")
        }
        printExcess(largest, xDependent: xDependent)
    }

    /// The exact φ never exceeds ⟨B̄ v, v⟩ ((5.15)–(5.19): a geodesic is no cheaper than the
    /// homogenised energy of the straight path); a ratio above 1 measures the graph's
    /// discretisation error (it overestimates φ). Only for a medium of y alone, where B̄ is the
    /// cell metric's own.
    private func printExcess(_ largest: Double, xDependent: Bool) {
        // Above the support function's sampling error (N within 2.4e-4 on isotropic media).
        guard !xDependent, largest > 1 + 5e-4 else { return }
        print(String(format: "# note: phi exceeds <B_bar v, v> by up to %.1f%%, but the exact phi never does: this is the "
                     + "discretisation error of the stable norm's graph (it overestimates phi; see docs/solver.md)", 100 * (largest - 1)))
    }

    /// 1D: one line per slow point, with C_gh and B̄/C_gh (5.14).
    private func printTable1D(_ e: EffectiveCoefficients) {
        print("x  pi_bar  A_hom  B_bar  C_gh  B_bar/C_gh")
        for k in e.slowGrid.indices {
            var line = e.slowGrid[k].map { String(format: "%.4f", $0) } + [String(format: "%.10g", e.piBar[k]), format(e.aHom[k]), format(e.bBar[k])]
            if let c = e.cGH { line += [String(format: "%.10g", c[k]), String(format: "%.10g", e.bBar[k][0] / c[k])] }
            print(line.joined(separator: "  "))
        }
    }

    /// φ against ⟨B̄ v, v⟩ at every fourth angle (B̄ at the first slow point).
    private func printGromovHausdorff(_ g: StableNorm, _ e: EffectiveCoefficients, xDependent: Bool) {
        let b = Matrix2(rowMajor: e.bBar[0])
        let at = e.isConstant ? "" : " at x = (\(e.slowGrid[0].map { String(format: "%.4f", $0) }.joined(separator: ", ")))"
        print("# Gromov-Hausdorff integrand phi(v) = N(v)^2 (5.17)\(xDependent ? " of the cell metric at x = (\(e.slowGrid[0].map { String(format: "%.4f", $0) }.joined(separator: ", ")))" : ""), "
              + "against <B_bar v, v>\(at), v = (cos a, sin a); \(g.angles.count) angles in --json (gh_norm), \(String(format: "%.2f", g.seconds)) s")
        print("# phi is the stable norm of a \(g.options.nodes)-node graph, computed exactly for the graph; the graph's stencil makes "
              + "it high, by up to 0.25 % where the norm is round (up to 0.21 % measured on laminates) and more for anisotropic "
              + "media (constant B with eigenvalue ratio 4, 10, 100: 0.9 %, 2.1 %, 13 %; docs/solver.md)")
        print("angle_deg  phi  B_bar_vv  phi/B_bar_vv")
        var largest = 0.0
        for (k, (a, p)) in zip(g.angles, g.phi).enumerated() {
            let q = b.quadraticForm(cos(a), sin(a))
            largest = max(largest, p / q)
            if k % 4 == 0 { print(String(format: "%6.1f  %.6f  %.6f  %.4f", a * 180 / .pi, p, q, p / q)) }
        }
        printExcess(largest, xDependent: xDependent)
    }

    /// 2D and 3D, B_bar depending on x: one aligned row per slow-grid point with the independent
    /// entries (upper triangle) of the symmetric A_hom and B_bar (off-diagonals averaged: the
    /// solver's round-off makes them differ in the last digits; below 1e-12 of the diagonal they
    /// print as 0).
    private func printTable(_ e: EffectiveCoefficients) {
        let d = e.dimension.count, index = SymmetricIndex(d)
        let names = (0..<index.count).map { k -> String in let (i, j) = index.entry(k); return "\(i + 1)\(j + 1)" }
        print(e.dimension.axes.map { "    x\($0 + 1)" }.joined(separator: "  ") + "      pi_bar"
              + (names.map { "     A_hom_\($0)" } + names.map { "     B_bar_\($0)" }).joined())
        func entries(_ m: [Double]) -> [Double] {
            let diagonal = e.dimension.axes.map { abs(m[$0 * d + $0]) }.max()!
            return (0..<index.count).map { k in
                let (i, j) = index.entry(k)
                if i == j { return m[i * d + i] }
                let off = (m[i * d + j] + m[j * d + i]) / 2
                return abs(off) < 1e-12 * diagonal ? 0 : off
            }
        }
        for k in e.slowGrid.indices {
            let values = [e.piBar[k]] + entries(e.aHom[k]) + entries(e.bBar[k])
            print(e.slowGrid[k].map { String(format: "%6.4f", $0) }.joined(separator: "  ")
                  + values.map { String(format: "  %11.6g", $0) }.joined())
        }
        print("(\(e.slowGrid.count) points; every value with all digits: --json)")
    }

    /// A d×d row-major matrix as [[a, b], [c, d]] (1×1: the number alone).
    private func format(_ m: [Double]) -> String {
        guard m.count > 1 else { return String(format: "%.12g", m[0]) }
        let d = Int(Double(m.count).squareRoot().rounded())
        // + 0 turns −0 (an off-diagonal entry that is exactly zero, negated) into 0.
        return "[" + (0..<d).map { i in "[" + (0..<d).map { String(format: "%.10g", m[i * d + $0] + 0) }.joined(separator: ", ") + "]" }
            .joined(separator: ", ") + "]"
    }
}
