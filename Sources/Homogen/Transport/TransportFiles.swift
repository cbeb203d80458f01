import Foundation

/// Reading what `homogen w2` compares, in the formats the tool and NumPy write, chosen by
/// content and extension:
/// - `.npy` (NumPy format 1.0–3.0, little-endian float64/float32/int64/int32, C or Fortran order):
///   positions of shape (N,), (N, 2) or (N, 3), or grid masses of shape (n,), (n1, n2) or (n1, n2, n3);
/// - the tool's histogram and density CSVs (`x_lo,x_hi,[count,]density` or
///   `x1_lo,x1_hi,x2_lo,x2_hi,[count,]density`, x1 slowest), as grid densities;
/// - plain text: one point per line, one to three numbers separated by spaces, tabs or a comma;
///   `#` starts a comment. Parsed byte by byte with `strtod` (about 10x faster than Swift's
///   `split`/`Double(_:)`, and faster than NumPy's `loadtxt`).
public enum TransportFiles {
    public struct FileError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        /// The file could not be read at all (rather than holding bad content).
        public var unreadable = false
        /// The file is a grid density (a density CSV), given where points were expected.
        public var isGridDensity = false
        public var description: String { "\(path): \(reason)" }

        public init(path: String, reason: String, unreadable: Bool = false, isGridDensity: Bool = false) {
            self.path = path
            self.reason = reason
            self.unreadable = unreadable
            self.isGridDensity = isGridDensity
        }
    }

    /// Point samples: values interleaved by point, `columns` 1, 2 or 3.
    public struct Points: Sendable {
        public let values: [Double]
        public let columns: Int
    }

    /// Masses (non-normalised, as stored) on a periodic grid; `shape` [n] (circle), [n1, n2] or [n1, n2, n3].
    public struct Grid: Sendable {
        public let masses: [Double]
        public let shape: [Int]
    }

    public static func readPoints(_ path: String) throws -> Points {
        let data = try contents(path)
        if isNPY(data) {
            let (values, shape) = try decodeNPY(data, path)
            guard shape.count == 1 || (shape.count == 2 && (1...3).contains(shape[1])) else {
                throw FileError(path: path, reason: "a .npy array of shape \(shapeText(shape)) is not a set of points; expected (N,), (N, 2) or (N, 3)")
            }
            guard !values.isEmpty else { throw FileError(path: path, reason: "no points") }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw FileError(path: path, reason: "entry \(bad) is not a finite number")
            }
            return Points(values: values, columns: shape.count == 1 ? 1 : shape[1])
        }
        if let header = csvHeader(data), header.contains("density") || header.hasPrefix("x_lo") || header.hasPrefix("x1_lo") {
            var e = FileError(path: path, reason: "this is a density/histogram CSV (header '\(header)'), not a set of points; compare it as a grid density")
            e.isGridDensity = true
            throw e
        }
        let (values, columns) = try parseText(data, path)
        return Points(values: values, columns: columns)
    }

    /// A grid from a .npy array, or from the column `column` of a CSV written by homogen (its
    /// cell edges first: x_lo, x_hi or x1_lo, x1_hi, …; `solve` and `sample` write `density`,
    /// `compare` writes particles, epsilon, homogenised, pi_eps and pi_bar).
    public static func readGrid(_ path: String, column: String = "density") throws -> Grid {
        let data = try contents(path)
        if isNPY(data) {
            let (values, shape) = try decodeNPY(data, path)
            guard (1...3).contains(shape.count) else {
                throw FileError(path: path, reason: "a grid must be a .npy array of shape (n,), (n1, n2) or (n1, n2, n3), not \(shapeText(shape))")
            }
            guard !values.isEmpty else { throw FileError(path: path, reason: "empty array") }
            // An (N, 2) or (N, 3) array with N much larger is a sample's positions, not a grid.
            if shape.count == 2, (2...3).contains(shape[1]), shape[0] >= 8 * shape[1] {
                throw FileError(path: path, reason: "has shape \(shapeText(shape)), which is a sample of \(shape[0]) points in "
                                + "\(shape[1])D, not a grid of cell masses; compare samples without --grid")
            }
            return Grid(masses: values, shape: shape)
        }
        guard let header = csvHeader(data), header.contains("density") || header.hasPrefix("x_lo") || header.hasPrefix("x1_lo") else {
            throw FileError(path: path, reason: "not a grid: expected a .npy array or a density/histogram CSV written by homogen")
        }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let repeated = columns.first(where: { name in columns.filter { $0 == name }.count > 1 }) {
            throw FileError(path: path, reason: "the header names the column '\(repeated)' twice; which one to read is not clear")
        }
        guard let densityColumn = columns.firstIndex(of: column), !column.hasSuffix("_lo"), !column.hasSuffix("_hi") else {
            let choices = columns.filter { !$0.hasSuffix("_lo") && !$0.hasSuffix("_hi") }
            throw FileError(path: path, reason: "no '\(column)' column; its columns are \(choices.joined(separator: ", ")) "
                            + "(choose with --columns, e.g. --columns \(choices.first ?? "density"),\(choices.dropFirst().first ?? choices.first ?? "density"))")
        }
        let twoD = columns.first == "x1_lo"
        let d = columns.contains("x3_lo") ? 3 : twoD ? 2 : 1
        // Skip the header line, parse the rest as numbers.
        let body = data[(data.firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? data.endIndex)...]
        let (values, width) = try parseText(Data(body), path, maxColumns: columns.count, lineOffset: 1)
        guard width == columns.count else {
            throw FileError(path: path, reason: "rows have \(width) fields but the header names \(columns.count)")
        }
        let rows = values.count / width
        let density = (0..<rows).map { values[$0 * width + densityColumn] }
        let n = Int(pow(Double(rows), 1 / Double(d)).rounded())
        guard (0..<d).reduce(1, { p, _ in p * n }) == rows else {
            throw FileError(path: path, reason: "\(rows) rows do not form a \(d == 2 ? "square" : "cubic") grid")
        }
        // Every row's cell edges (columns 2a, 2a + 1 hold x_{a+1}_lo, x_{a+1}_hi) against the
        // uniform grid, x1 slowest: rows out of order, or cells of other widths, would be read as
        // the wrong cells (a shuffled 1D file gave 0.0117 for 0.0048, and exit 0).
        // Edges rounded to a thousandth of a cell (a file written with fewer digits) still pass.
        let dimension = TorusDimension(count: d)!, tolerance = 1e-3 / Double(n)
        for k in 0..<rows {
            let index = dimension.indices(ofCell: k, perAxis: n)
            if (0..<d).contains(where: { a in
                abs(values[k * width + 2 * a] - Double(index[a]) / Double(n)) > tolerance
                    || abs(values[k * width + 2 * a + 1] - Double(index[a] + 1) / Double(n)) > tolerance
            }) {
                throw FileError(path: path, reason: "line \(k + 2): cells are not in the order homogen writes (x1 slowest, "
                                + "\(n) uniform cells per axis from 0 to 1)")
            }
        }
        return Grid(masses: density, shape: [Int](repeating: n, count: d))
    }

    // MARK: - formats

    private static func contents(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, reason: "cannot read the file", unreadable: true) }
        // A UTF-8 byte order mark (written by some editors) is not part of the first number or header.
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        return data.starts(with: bom) ? Data(data.dropFirst(3)) : data
    }

    /// The .npy magic (a file of the magic alone is a truncated .npy file, not text).
    static func isNPY(_ data: Data) -> Bool {
        data.prefix(6).elementsEqual([0x93] + Array("NUMPY".utf8))
    }

    /// The first line when it starts with a letter (a CSV header).
    private static func csvHeader(_ data: Data) -> String? {
        guard let first = data.first, (first >= 65 && first <= 90) || (first >= 97 && first <= 122) else { return nil }
        let end = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        return String(decoding: data[data.startIndex..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func shapeText(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }

    /// Values (C order) and shape of a .npy array (`NPY.decode`), its errors naming the file.
    static func decodeNPY(_ data: Data, _ path: String) throws -> ([Double], [Int]) {
        do { return try NPY.decode(data) } catch { throw FileError(path: path, reason: error.reason) }
    }

    /// Numbers of a text file, the same count on every non-empty, non-comment line (at most
    /// `maxColumns`); errors name the line (plus `lineOffset`) and the field.
    static func parseText(_ data: Data, _ path: String, maxColumns: Int = 3, lineOffset: Int = 0) throws -> ([Double], Int) {
        var values: [Double] = []
        values.reserveCapacity(data.count / 10)
        var columns = 0
        // Line ends: LF, CRLF, or a lone CR (old Mac files; read as one line of several
        // coordinates, `0.1\r0.2\r` was one 2D point).
        var buffer = [UInt8]()
        buffer.reserveCapacity(data.count + 1)
        var afterCR = false
        for byte in data {
            if byte == 13 {
                buffer.append(10)
            } else if !(byte == 10 && afterCR) {
                buffer.append(byte)
            }
            afterCR = byte == 13
        }
        buffer.append(0)
        try buffer.withUnsafeMutableBufferPointer { b in
            let base = UnsafeMutableRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self)
            let n = b.count - 1
            var i = 0, line = lineOffset
            var end: UnsafeMutablePointer<CChar>? = nil
            while i < n {
                line += 1
                var fields = 0
                while true {
                    while i < n, b[i] == 32 || b[i] == 9 || b[i] == 44 || b[i] == 13 { i += 1 }
                    if i >= n || b[i] == 10 || b[i] == 35 { break }
                    let c = b[i]
                    let numeric = (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46
                    var v = 0.0
                    if numeric {
                        v = strtod(base + i, &end)
                    }
                    let consumed = numeric ? base.distance(to: end!) - i : 0
                    let next = i + consumed
                    let terminated = next >= n || b[next] == 32 || b[next] == 9 || b[next] == 44 || b[next] == 10
                        || b[next] == 13 || b[next] == 35
                    guard consumed > 0, terminated, v.isFinite else {
                        var stop = i
                        while stop < n, b[stop] != 10, b[stop] != 32, b[stop] != 44, b[stop] != 9 { stop += 1 }
                        let word = String(decoding: UnsafeBufferPointer(rebasing: b[i..<stop]), as: UTF8.self)
                        throw FileError(path: path, reason: "line \(line), field \(fields + 1): '\(word)' is not a finite number")
                    }
                    values.append(v)
                    fields += 1
                    i = next
                }
                while i < n, b[i] != 10 { i += 1 }  // comment tail
                i += 1
                if fields == 0 { continue }
                if columns == 0 {
                    guard fields <= maxColumns else {
                        throw FileError(path: path, reason: "line \(line): \(fields) numbers; expected at most \(maxColumns)")
                    }
                    columns = fields
                } else if fields != columns {
                    throw FileError(path: path, reason: "line \(line): \(fields) number(s) where earlier lines have \(columns)")
                }
            }
        }
        guard !values.isEmpty else { throw FileError(path: path, reason: "no numbers in the file") }
        return (values, columns)
    }
}
