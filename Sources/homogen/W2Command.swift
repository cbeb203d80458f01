import ArgumentParser
import Dispatch
import Foundation
import Homogen

struct W2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "w2",
        abstract: "Wasserstein-2 distance between two samples in text files (one point per line; 2D: two columns).",
        discussion: """
            --circle (default for one column): exact W2 on the circle R/Z.
            --torus (default for two columns): exact W2 on the flat torus with the minimum-image cost
            (moderate sizes), or with --entropic the debiased Sinkhorn estimate.
            --metric M scales the cost to <M d, d>: a number (1D, e.g. B_bar or C_gh) or 'a,b,c' for the
            symmetric 2x2 matrix [[a, b], [b, c]].
            """)

    @Argument(help: "First sample file.") var first: String
    @Argument(help: "Second sample file.") var second: String
    @Flag(help: "Samples on the circle R/Z (one column).") var circle = false
    @Flag(help: "Samples on the flat torus (two columns).") var torus = false
    @Option(help: "Constant metric for the cost <M d, d> (1D: a number; 2D: a,b,c).") var metric: String?
    @Flag(help: "2D: entropic (Sinkhorn divergence) estimate instead of the exact transport.") var entropic = false
    @Flag(help: "Print the seconds of the distance computation (sorting included, reading excluded) to stderr.") var time = false

    func run() throws {
        let a = try readPoints(first), b = try readPoints(second)
        guard a.columns == b.columns else {
            throw ValidationError("\(first) has \(a.columns) column(s) but \(second) has \(b.columns)")
        }
        let twoD = torus || (!circle && a.columns == 2)
        if twoD {
            guard a.columns == 2 else { throw ValidationError("--torus needs two columns per line") }
            let m = try parseMetric2D()
            let pa = TorusMeasure(points: a.values, weights: nil), pb = TorusMeasure(points: b.values, weights: nil)
            let cost = TorusCost(metric: m)
            if entropic {
                let r = try SinkhornDivergence.estimate(pa, pb, cost: cost)
                print(String(format: "%.12f", r.distance))
                FileHandle.standardError.write(Data("entropic estimate: regularisation \(r.regularisation), \(r.iterations) iterations\n".utf8))
            } else {
                print(String(format: "%.12f", try ExactTransport.distance(pa, pb, cost: cost)))
            }
        } else {
            guard a.columns == 1 else { throw ValidationError("--circle needs one column per line") }
            var scale = 1.0
            if let metric {
                guard let v = Double(metric), v > 0 else { throw ValidationError("--metric must be a positive number in 1D") }
                scale = v.squareRoot()
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let w = CircleWasserstein.distance(CircleMeasure(samples: a.values), CircleMeasure(samples: b.values))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "%.12f", scale * w.distance))
            if time { FileHandle.standardError.write(Data(String(format: "seconds=%.4f\n", seconds).utf8)) }
        }
    }

    private func parseMetric2D() throws -> [Double] {
        guard let metric else { return [1, 0, 1] }
        let parts = metric.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts[0] > 0, parts[0] * parts[2] - parts[1] * parts[1] > 0 else {
            throw ValidationError("--metric must be 'a,b,c' for a positive definite [[a, b], [b, c]]")
        }
        return parts
    }

    private func readPoints(_ path: String) throws -> (values: [Double], columns: Int) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InputReadError(description: "cannot read \(path)")
        }
        var values: [Double] = []
        var columns = 0
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
            if fields.isEmpty { continue }
            if columns == 0 { columns = fields.count }
            guard fields.count == columns, columns <= 2 else {
                throw InputDataError(description: "\(path), line \(n + 1): expected \(columns == 0 ? "1 or 2" : "\(columns)") number(s)")
            }
            for f in fields {
                guard let v = Double(f), v.isFinite else { throw InputDataError(description: "\(path), line \(n + 1): '\(f)' is not a number") }
                values.append(v)
            }
        }
        guard !values.isEmpty else { throw InputDataError(description: "\(path) has no points") }
        return (values, columns)
    }
}
