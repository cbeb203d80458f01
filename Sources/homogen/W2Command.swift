import ArgumentParser
import Dispatch
import Foundation
import Homogen

struct W2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w2",
        abstract: "Wasserstein-2 distance between two samples or two grid densities (circle or flat torus).",
        discussion: """
            Samples: .npy positions of shape (N,), (N, 2) or (N, 3) (as `homogen sample --positions` writes), or
            plain text with one point per line (one to three numbers).
            --circle (default for one column): exact W2 on the circle R/Z.
            --torus (default for two columns): exact W2 on the flat torus with the minimum-image cost (LEMON's
            network simplex; n*m up to 36e6), or with --entropic the debiased Sinkhorn estimate.
            Three columns: exact W2 on the 3D torus (network simplex, periodic cost: the minimum-image |x - y|^2).
            --grid: A and B are cell masses (or densities) on the same uniform periodic grid: .npy arrays of shape
            (n,) (circle, exact), (n1, n2) or (n1, n2, n3) (x1 slowest; back-and-forth method, with its
            convergence diagnostic on stderr), or density/histogram CSVs written by `homogen solve` / `homogen sample`.
            --metric M scales the cost to <M d, d>: a number (1D, e.g. B_bar or C_gh) or 'a,b,c' for the
            symmetric 2x2 matrix [[a, b], [b, c]] (diagonal only with --grid).
            """)

    @Argument(help: "First sample (.npy or text) or grid (.npy or CSV with --grid).") var first: String
    @Argument(help: "Second sample or grid.") var second: String
    @Flag(help: "Samples on the circle R/Z (one column).") var circle = false
    @Flag(help: "Samples on the flat torus (two columns, or three for the 3D torus).") var torus = false
    @Flag(help: "A and B are cell masses on the same periodic grid (.npy or homogen's density/histogram CSV).") var grid = false
    @Option(help: "Constant metric for the cost <M d, d> (1D: a number; 2D: a,b,c).") var metric: String?
    @Flag(help: "2D points: entropic (Sinkhorn divergence) estimate instead of the exact transport.") var entropic = false
    @Flag(help: "With --grid: the exact W2 between the cell-centre measures (each cell's mass at its centre, as POT's emd2 on the grid), on the circle in 1D and by the network simplex in 2D and 3D, instead of the piecewise-constant densities (non-empty cells squared up to 36e6: 77 x 77, 18 x 18 x 18).")
    var exact = false
    @Option(help: "With --grid and CSV files: the column to read, 'A' for both files or 'A,B' for the first and the second (default: density; compare's densities_*.csv have particles, epsilon, homogenised, pi_eps, pi_bar).")
    var columns: String?
    @Flag(help: "Print the seconds of the distance computation (reading excluded) to stderr.") var time = false
    @Flag(name: [.short, .long], help: "No progress messages.") var quiet = false

    func validate() throws {
        if [circle, torus, grid].filter({ $0 }).count > 1 { throw ValidationError("choose one of --circle, --torus, --grid") }
        if entropic && (grid || circle) { throw ValidationError("--entropic applies to 2D points only") }
        if exact && !grid { throw ValidationError("--exact applies to --grid (points are always transported exactly, except with --entropic)") }
        if columns != nil && !grid { throw ValidationError("--columns applies to --grid (the column of a density CSV)") }
    }

    func run() throws {
        Interrupts.install("w2", safePoints: false)
        if grid { return try runGrid() }
        let a = try TransportFiles.readPoints(first), b = try TransportFiles.readPoints(second)
        guard a.columns == b.columns else {
            throw TransportFiles.FileError(path: second, reason: "has \(b.columns) column(s) but \(first) has \(a.columns)")
        }
        let twoD = torus || (!circle && a.columns == 2)
        for (file, points) in [(first, a), (second, b)] {
            let outside = points.values.filter { !($0 >= 0 && $0 < 1) }.count
            if outside > 0 {
                printError("w2: note: \(file): \(outside) coordinate(s) outside [0, 1) are read modulo 1 (points of the torus)")
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        if a.columns == 3 && !circle {
            // 3D points: exact transport with the flat cost.
            guard metric == nil, !entropic else { throw ValidationError("3D points take the exact solver with the flat cost (no --metric, --entropic)") }
            let pa = TorusMeasure(points: a.values, weights: nil, dimension: 3), pb = TorusMeasure(points: b.values, weights: nil, dimension: 3)
            guard pa.count * pb.count <= ExactTransport.limit else {
                throw ValidationError("\(pa.count) x \(pb.count) points are too many for the exact solver (n*m above \(ExactTransport.limit)); "
                                      + "bin both samples on a grid and compare the grids with --grid")
            }
            stage("exact transport between \(pa.count) and \(pb.count) points of the 3D torus", big: pa.count * pb.count > 4_000_000)
            print(String(format: "%.12f", try Transport.distance(.points(pa), .points(pb)).distance))
            reportTime(start)
            return
        }
        if twoD {
            guard a.columns == 2 else { throw ValidationError("--torus needs two columns per point") }
            let pa = TorusMeasure(points: a.values, weights: nil), pb = TorusMeasure(points: b.values, weights: nil)
            let cost = TorusCost(metric: try parseMetric2D())
            if entropic {
                stage("entropic estimate between \(pa.count) and \(pb.count) points", big: pa.count * pb.count > 1_000_000)
                let r = try SinkhornDivergence.estimate(pa, pb, cost: cost)
                print(String(format: "%.12f", r.distance))
                printError("entropic estimate: regularisation \(r.regularisation), \(r.iterations) iterations")
                // The Sinkhorn divergence is biased low where W2 is not far above the blur √ε (a
                // review measured 14 % low at W2 = 0.027 and 56 % at 0.0029, with √ε = 0.032).
                let blur = r.regularisation.squareRoot()
                if r.distance < 10 * blur {
                    printError(String(format: "warning: the estimate (%.3g) is not far above the regularisation's blur sqrt(eps) = %.3g, "
                                      + "so it can be biased low, by tens of percent near the blur; %@", r.distance, blur,
                                      pa.count * pb.count <= ExactTransport.limit
                                        ? "these \(pa.count) x \(pb.count) points fit the exact solver (drop --entropic): exact, and faster"
                                        : "bin both samples on a grid and compare the grids with --grid"))
                }
            } else {
                guard pa.count * pb.count <= ExactTransport.limit else {
                    throw ValidationError("""
                        \(pa.count) x \(pb.count) points are too many for the exact solver (n*m above \(ExactTransport.limit)); \
                        bin both samples on a grid and compare the grids with --grid, or use --entropic for an estimate (biased \
                        low unless W2 is well above its blur, 0.03)
                        """)
                }
                stage("exact transport between \(pa.count) and \(pb.count) points", big: pa.count * pb.count > 4_000_000)
                print(String(format: "%.12f", try Transport.distance(.points(pa), .points(pb), cost: .points(cost)).distance))
            }
        } else {
            guard a.columns == 1 else { throw ValidationError("--circle needs one column per point") }
            guard !entropic else { throw ValidationError("--entropic applies to 2D points only (on the circle W2 is exact and fast)") }
            let scale = try metric1D()
            let w = try Transport.distance(.circle(CircleMeasure(samples: a.values)), .circle(CircleMeasure(samples: b.values)))
            print(String(format: "%.12f", scale * w.distance))
        }
        reportTime(start)
    }

    private func runGrid() throws {
        let names = (columns ?? "density").split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(names.count), names.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("--columns takes one column name, or two separated by a comma (e.g. particles,epsilon), not '\(columns ?? "")'")
        }
        let a = try TransportFiles.readGrid(first, column: names[0]), b = try TransportFiles.readGrid(second, column: names.last!)
        guard a.shape == b.shape else {
            throw TransportFiles.FileError(path: second, reason: "has shape \(b.shape) but \(first) has shape \(a.shape); the grids must match")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        if a.shape.count == 1 {
            let scale = try metric1D()
            let ma = try namingTheFile { try GridWasserstein.normalised(a.masses, which: 0) }
            let mb = try namingTheFile { try GridWasserstein.normalised(b.masses, which: 1) }
            // --exact: the cell-centre measures (what POT's emd2 solves on the grid), exactly on
            // the circle; otherwise the piecewise-constant densities.
            let centres = (0..<ma.count).map { (Double($0) + 0.5) / Double(ma.count) }
            let w = exact
                ? try Transport.distance(.circle(CircleMeasure(samples: centres, weights: ma)), .circle(CircleMeasure(samples: centres, weights: mb)))
                : try Transport.distance(.circleCells(ma), .circleCells(mb))
            print(String(format: "%.12f", scale * w.distance))
            reportTime(start)
            return
        }
        if exact { return try exactGrid(a, b, start) }
        var options = GridWasserstein.Options()
        if a.shape.count == 2 {
            let m = try parseMetric2D()
            guard m[1] == 0 else {
                throw ValidationError("--grid supports a diagonal --metric only ('a,0,c'); for a general one use the exact solver on points (--torus)")
            }
            options.metric = [m[0], m[2]]
        } else if metric != nil {
            throw ValidationError("--metric is for 1D and 2D grids; a 3D grid takes the flat cost")
        }
        let shape = a.shape.map(String.init).joined(separator: " x ")
        stage("back-and-forth method on a \(shape) grid", big: a.masses.count >= 128 * 128)
        let r = try namingTheFile { try GridWasserstein.distance(a.masses, b.masses, shape: a.shape, options: options) }
        print(String(format: "%.12f", r.distance))
        printError(String(format: "back-and-forth: %d iterations, W2 changed by %.1e (relative) over the last 20; "
                          + "marginal error %.2e of W2 in H^-1 (%.2e in total variation)%@",
                          r.iterations, r.recentChange, r.marginalError, r.marginalErrorTV,
                          r.converged ? "; converged" : ""))
        if r.belowResolution {
            printError("note: the densities differ by less than the method resolves (the iterates never passed J = 0, or the "
                       + "difference is below 1e-9): the value printed is an upper bound, the smaller of 2 |mu - nu|_{H^-1} / "
                       + "sqrt(min density) (Peyre 2018; not where both densities vanish somewhere) and sqrt(TV) times the torus' "
                       + "half-diagonal (moving only the mass that differs)")
        } else if r.marginalError > 0.5 {
            printError("warning: the marginals do not match at the scale of the distance, so the value may be off by tens of "
                       + "percent or more: the densities are not resolved by this grid (give them on a finer one), or they differ by "
                       + "less than the map's deposit on the grid resolves (the total-variation figure above)")
        }
        reportTime(start)
    }

    /// `--grid --exact`: the cell-centre measures, transported exactly (`ExactTransport`, flat or
    /// diagonal-metric cost). This is the discrete problem POT's `emd2` solves on the grid; it
    /// differs from the back-and-forth value (W2 between the piecewise-constant densities) by O(h).
    private func exactGrid(_ a: TransportFiles.Grid, _ b: TransportFiles.Grid, _ start: UInt64) throws {
        let ma = try namingTheFile { try GridWasserstein.normalised(a.masses, which: 0) }
        let mb = try namingTheFile { try GridWasserstein.normalised(b.masses, which: 1) }
        let x = TorusMeasure(cellMasses: ma, shape: a.shape), y = TorusMeasure(cellMasses: mb, shape: b.shape)
        guard x.count * y.count <= ExactTransport.limit else {
            throw ValidationError("--exact: \(x.count) x \(y.count) cells of positive mass is above the network simplex's "
                                  + "\(ExactTransport.limit) (77 x 77 in 2D, 18 x 18 x 18 in 3D, when no cell is empty); drop --exact for the back-and-forth method")
        }
        let cost: TorusCost
        if a.shape.count == 2 {
            cost = TorusCost(metric: try parseMetric2D())
        } else {
            guard metric == nil else { throw ValidationError("--metric is for 1D and 2D grids; a 3D grid takes the flat cost") }
            cost = TorusCost()
        }
        let shape = a.shape.map(String.init).joined(separator: " x ")
        stage("exact transport between the cell centres of a \(shape) grid", big: a.masses.count >= 1024)
        print(String(format: "%.12f", try ExactTransport.distance(x, y, cost: cost)))
        reportTime(start)
    }

    /// Bad cell masses are bad data (exit 65), named by their file.
    private func namingTheFile<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as GridWasserstein.InputError {
            switch e {
            case .badMass(let which, _, _), .zeroMass(let which):
                throw TransportFiles.FileError(path: which == 0 ? first : second, reason: e.description
                    .replacingOccurrences(of: which == 0 ? "first density: " : "second density: ", with: "")
                    .replacingOccurrences(of: which == 0 ? "first density " : "second density ", with: "the density "))
            case .shape, .badMetric: throw e
            }
        }
    }

    private func stage(_ text: String, big: Bool) {
        if big && !quiet { printError("w2: \(text)...") }
    }

    private func reportTime(_ start: UInt64) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if time { printError(String(format: "seconds=%.4f", seconds)) }
    }

    private func metric1D() throws -> Double {
        guard let metric else { return 1 }
        guard let v = Double(metric), v > 0, v.isFinite else { throw ValidationError("--metric must be a positive number in 1D") }
        return v.squareRoot()
    }

    private func parseMetric2D() throws -> [Double] {
        guard let metric else { return [1, 0, 1] }
        let parts = metric.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts[0] > 0, parts[0] * parts[2] - parts[1] * parts[1] > 0 else {
            throw ValidationError("--metric must be 'a,b,c' for a positive definite [[a, b], [b, c]]")
        }
        return parts
    }
}
