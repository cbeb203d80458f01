import Foundation
import TOMLKit

/// Reading scenario files (TOML; every key is documented in docs/scenarios.md).
extension Scenario {
    /// The most particles a run takes ([particles] count, or --particles).
    public static let maximumParticles = 1_000_000_000

    /// Loads and validates a scenario file; errors name the file and the key.
    public static func load(path: String) throws -> Scenario {
        let data: Data
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            var e = ScenarioError(file: path, key: "", message: "is a folder, not a scenario file (TOML)")
            e.isUnreadableFile = true
            throw e
        }
        do {
            // Through a file handle, so that a pipe or a device (`<(…)`, /dev/stdin) reads as a
            // file does; `Data(contentsOf:)` only to say why a path cannot be opened.
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                data = try handle.readToEnd() ?? Data()
            } else {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        } catch {
            var e = ScenarioError(file: path, key: "", message: "cannot read the file (\(error.localizedDescription))")
            e.isUnreadableFile = true
            throw e
        }
        // Read but not text: bad data (65), with the place, not an I/O error.
        guard let text = String(data: data, encoding: .utf8) else {
            let valid = Self.validUTF8Prefix(data)
            let line = data.prefix(valid).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            let byte = valid < data.count ? "invalid byte 0x\(String(data[data.startIndex + valid], radix: 16)) at byte \(valid + 1) (line \(line))"
                : "invalid byte sequence"
            throw ScenarioError(file: path, key: "", message: "not UTF-8 text: \(byte); a scenario file is TOML, which is UTF-8")
        }
        return try Scenario(toml: text, source: path)
    }

    /// The length of the longest prefix of `data` that is valid UTF-8.
    private static func validUTF8Prefix(_ data: Data) -> Int {
        var decoder = UTF8()
        var iterator = data.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let v): offset += String(v).utf8.count
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    /// Parses and validates scenario text; `source` names it in errors.
    public init(toml text: String, source: String = "<scenario>") throws {
        do {
            self = try ScenarioFileReader(text: text).scenario()
        } catch var e as ScenarioError {
            e.file = source
            throw e
        }
    }
}

/// Walks the TOML tables, refusing unknown keys and converting values, so that every error
/// names its key.
private struct ScenarioFileReader {
    let root: TOMLTable

    init(text: String) throws {
        do {
            try TOMLSubset.check(text)
        } catch let e as TOMLSubset.Failure {
            throw ScenarioError(key: "", message: "malformed TOML at line \(e.line), column \(e.column): \(e.message)")
        }
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ScenarioError(
                key: "", message: "malformed TOML at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        }
    }

    static let schema: [String: Set<String>] = [
        "": ["name", "description", "dimension", "epsilon", "medium", "equilibrium", "initial", "time", "particles", "grid"],
        "medium": ["B"],
        "equilibrium": ["pi", "U"],
        "initial": ["rho", "f"],
        "time": ["final", "outputs", "dt"],
        "particles": ["count", "seed", "convention"],
        "grid": ["cells"],
    ]

    func scenario() throws -> Scenario {
        try checkKeys(root, table: "")
        let dimension = try integer(root, "", "dimension")
        _ = try ScenarioValidation.dimension(dimension)
        let epsilon = try inverseEpsilon()
        let medium = try readMedium(dimension: dimension, epsilon: 1 / Double(epsilon))
        let eq = try table("equilibrium")
        let equilibrium: Equilibrium = try exactlyOne(eq, "equilibrium", "pi", "U") { key, c in
            key == "pi" ? .density(c) : .potential(c)
        }
        let ini = try table("initial")
        let initial: InitialDensity = try exactlyOne(ini, "initial", "rho", "f") { key, c in
            key == "rho" ? .density(c) : .relativeToEquilibrium(c)
        }
        let t = try table("time")
        let outputs = try numberArray(t, "time", "outputs")
        let time = TimeSettings(final: try number(t, "time", "final"), outputs: outputs, dt: try number(t, "time", "dt"))
        let p = try table("particles")
        let seed = try integer(p, "particles", "seed")
        guard seed >= 0 else {
            throw ScenarioError(key: "[particles] seed", message: "must be a non-negative integer, not \(seed)")
        }
        var convention = Convention.backwardIto
        if p["convention"] != nil {
            let text = try string(p, "particles", "convention")
            guard let c = Convention(rawValue: text) else {
                throw ScenarioError(
                    key: "[particles] convention",
                    message: "'\(text)' is not one of \(Convention.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            convention = c
        }
        let particles = ParticleSettings(count: try integer(p, "particles", "count"), seed: UInt64(seed), convention: convention)
        let g = try table("grid")
        return try Scenario(
            name: try string(root, "", "name"), description: try string(root, "", "description"),
            dimension: dimension, inverseEpsilon: epsilon, medium: medium, equilibrium: equilibrium,
            initial: initial, time: time, particles: particles, cells: try integer(g, "grid", "cells"))
    }

    // MARK: - Keys and values

    private func keyName(_ table: String, _ key: String) -> String { table.isEmpty ? key : "[\(table)] \(key)" }

    private func checkKeys(_ t: TOMLTable, table: String) throws {
        let known = Self.schema[table] ?? []
        for key in t.keys where !known.contains(key) {
            let where_ = table.isEmpty ? "at the top level" : "in [\(table)]"
            throw ScenarioError(
                key: keyName(table, key),
                message: "unknown key \(where_) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private func table(_ name: String) throws -> TOMLTable {
        guard let v = root[name] else { throw ScenarioError(key: "[\(name)]", message: "the table is missing") }
        guard let t = v.table else { throw ScenarioError(key: name, message: "must be a table, [\(name)]") }
        try checkKeys(t, table: name)
        return t
    }

    private func value(_ t: TOMLTable, _ table: String, _ key: String) throws -> TOMLValueConvertible {
        guard let v = t[key] else { throw ScenarioError(key: keyName(table, key), message: "the key is missing") }
        return v
    }

    private func string(_ t: TOMLTable, _ table: String, _ key: String) throws -> String {
        let v = try value(t, table, key)
        guard let s = v.string else {
            throw ScenarioError(key: keyName(table, key), message: "must be a string, not \(v.typeWithArticle)")
        }
        return s
    }

    private func integer(_ t: TOMLTable, _ table: String, _ key: String) throws -> Int {
        let v = try value(t, table, key)
        if let i = v.int { return i }
        if let d = v.double, d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        if let d = v.double, d == d.rounded(), d.isFinite {
            throw ScenarioError(key: keyName(table, key), message: "\(d) is out of range: whole numbers here are below 9e15 in magnitude")
        }
        let given = v.double.map { "\($0)" } ?? v.debugDescriptionOrType
        throw ScenarioError(key: keyName(table, key), message: "must be a whole number (such as 25000 or 2.5e4), not \(given)")
    }

    private func number(_ t: TOMLTable, _ table: String, _ key: String) throws -> Double {
        try Self.asNumber(try value(t, table, key), key: keyName(table, key))
    }

    private static func asNumber(_ v: TOMLValueConvertible, key: String) throws -> Double {
        if let d = v.double { return d }
        if let i = v.int { return Double(i) }
        throw ScenarioError(key: key, message: "must be a number, not \(v.debugDescriptionOrType)")
    }

    private func numberArray(_ t: TOMLTable, _ table: String, _ key: String) throws -> [Double] {
        let v = try value(t, table, key)
        guard let a = v.array else {
            throw ScenarioError(key: keyName(table, key), message: "must be an array of numbers, e.g. [0.01, 0.02]")
        }
        return try a.map { try Self.asNumber($0, key: keyName(table, key)) }
    }

    private func coefficient(_ text: String, key: String) throws -> Coefficient {
        do {
            return try Coefficient(text)
        } catch let e as ExpressionError {
            throw ScenarioError(key: key, column: e.column, message: e.message)
        }
    }

    private func exactlyOne<T>(_ t: TOMLTable, _ table: String, _ a: String, _ b: String,
                               _ make: (String, Coefficient) -> T) throws -> T {
        switch (t[a] != nil, t[b] != nil) {
        case (true, false): return make(a, try coefficient(try string(t, table, a), key: keyName(table, a)))
        case (false, true): return make(b, try coefficient(try string(t, table, b), key: keyName(table, b)))
        case (true, true):
            throw ScenarioError(key: "[\(table)]", message: "give either \(a) or \(b), not both")
        case (false, false):
            throw ScenarioError(key: "[\(table)]", message: "give \(a) or \(b)")
        }
    }

    /// `epsilon` as a number or as the text "1/n"; 1/epsilon must be an integer.
    private func inverseEpsilon() throws -> Int {
        let v = try value(root, "", "epsilon")
        let eps: Double
        if let s = v.string {
            let parts = s.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            // Decimal numerals only (Double("0x10") reads hexadecimal, and "inf" or "nan" words);
            // a sign only on a lone number, so that "-1/-4" is not read as 1/4.
            func decimal(_ t: String, signed: Bool) -> Double? {
                guard !t.isEmpty, t.allSatisfy({ "0123456789.eE+-".contains($0) }), signed || !t.hasPrefix("-") else { return nil }
                return Double(t)
            }
            guard parts.count <= 2, let num = decimal(parts[0], signed: parts.count == 1),
                  let den = parts.count == 2 ? decimal(parts[1], signed: false) : 1 else {
                throw ScenarioError(key: "epsilon", message: "'\(s)' is neither a number nor a fraction like \"1/16\"")
            }
            guard den != 0 else { throw ScenarioError(key: "epsilon", message: "'\(s)' divides by zero; write a fraction like \"1/16\"") }
            eps = num / den
        } else {
            eps = try Self.asNumber(v, key: "epsilon")
        }
        guard eps.isFinite, eps > 0 else {
            throw ScenarioError(key: "epsilon", message: "must be positive, not \(eps)")
        }
        let inverse = 1 / eps
        let n = inverse.rounded()
        guard abs(inverse - n) <= 1e-9 * n, n >= 1 else {
            throw ScenarioError(
                key: "epsilon",
                message: "1/epsilon = \(inverse) is not an integer: fields periodic at scale epsilon must be periodic on the unit torus")
        }
        guard n <= Double(ScenarioValidation.maximumInverseEpsilon) else {
            // (Formatted as a Double: 1/ε beyond Int.max, as for ε = 1e-19, trapped in Int(n).)
            throw ScenarioError(key: "epsilon", message: "1/epsilon = \(String(format: "%.15g", n)) is larger than \(ScenarioValidation.maximumInverseEpsilon)")
        }
        return Int(n)
    }

    private func readMedium(dimension d: Int, epsilon: Double) throws -> Medium {
        let m = try table("medium")
        let v = try value(m, "medium", "B")
        let key = "[medium] B"
        if let s = v.string { return .scalar(try coefficient(s, key: key)) }
        guard let rows = v.array else {
            guard d >= 2 else { throw ScenarioError(key: key, message: "must be a string in 1D (quote numbers: B = \"2\")") }
            throw ScenarioError(key: key, message: "must be a string, a list of \(d) strings (diagonal) or a "
                                + "\(d)x\(d) list of strings (full); quote numbers: \"2\"")
        }
        guard d >= 2 else {
            throw ScenarioError(key: key, message: "in 1D the medium is one string (a scalar)")
        }
        guard rows.count == d else {
            throw ScenarioError(key: key, message: "must have \(d) entries in \(d)D, not \(rows.count)")
        }
        if rows.allSatisfy({ $0.string != nil }) {
            return .diagonal(try rows.enumerated().map { try coefficient($1.string!, key: "\(key)[\($0 + 1)]") })
        }
        var entries: [[Coefficient]] = []
        for (i, row) in rows.enumerated() {
            guard let r = row.array, r.count == d else {
                throw ScenarioError(key: "\(key)[\(i + 1)]", message: row.array == nil
                    ? "must be a string (a diagonal entry; quote numbers: \"2\") or a list of \(d) strings (a row of a full medium)"
                    : "must be a list of \(d) strings (a row of a full medium)")
            }
            entries.append(try r.enumerated().map { j, e in
                guard let s = e.string else {
                    throw ScenarioError(key: "\(key)[\(i + 1)][\(j + 1)]", message: "must be a string")
                }
                return try coefficient(s, key: "\(key)[\(i + 1)][\(j + 1)]")
            })
        }
        for i in 0..<d {
            for j in (i + 1)..<d {
                try MediumSymmetry.check(entries[i][j], entries[j][i], row: i, column: j, dimension: d, epsilon: epsilon, key: key)
            }
        }
        let index = SymmetricIndex(d)
        return .full(upper: (0..<index.count).map { k in let (i, j) = index.entry(k); return entries[i][j] })
    }
}

private extension TOMLValueConvertible {
    var debugDescriptionOrType: String {
        if let s = string { return "the string \"\(s)\"" }
        return typeWithArticle
    }

    /// "an integer", "a table", …
    var typeWithArticle: String {
        let name = "\(type)"
        return ("aeiou".contains(name.first ?? "x") ? "an " : "a ") + name
    }
}
