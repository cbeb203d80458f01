import Foundation

/// The part of TOML that scenario files use, checked before the text reaches the TOML library.
///
/// TOMLKit's parser (toml++) stops the process with an assertion on some malformed input
/// (`[[[` among others), so the scenario loader hands it only text of this subset, which this
/// checker reads in full: comments, `[table]` headers with bare names, `key = value` lines with
/// bare keys, and values that are basic or literal strings on one line, decimal numbers
/// (`inf` and `nan` too), booleans, and arrays of these (nested at most `maxArrayDepth` deep,
/// spanning lines, with comments and a trailing comma). Everything else TOML allows (arrays of
/// tables, inline tables, dotted or quoted keys, multi-line strings, dates, hexadecimal numbers)
/// is refused with a message saying so; the checker never traps, whatever the bytes.
/// Hand-written because no TOML library available to the project returns errors on all input.
struct TOMLSubset {
    static let maxArrayDepth = 4

    struct Failure: Error {
        let line: Int
        let column: Int
        let message: String
    }

    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var lineStart = 0

    /// Throws `Failure` (with the 1-based line and column) unless `text` is in the subset.
    static func check(_ text: String) throws {
        var c = TOMLSubset(s: Array(text.unicodeScalars))
        try c.document()
    }

    private init(s: [Unicode.Scalar]) { self.s = s }

    private var atEnd: Bool { i >= s.count }
    private var current: Unicode.Scalar? { atEnd ? nil : s[i] }

    private func fail(_ message: String) -> Failure {
        Failure(line: line, column: i - lineStart + 1, message: message)
    }

    private func describe(_ c: Unicode.Scalar?) -> String {
        guard let c else { return "the end of the file" }
        if c.value < 0x20 || c.value == 0x7F { return "the control character U+\(String(c.value, radix: 16, uppercase: true))" }
        return "'\(Character(c))'"
    }

    // MARK: - Layout

    private mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { i += 1 }
    }

    /// A comment runs to the end of the line; control characters other than tab are refused.
    private mutating func comment() throws {
        guard current == "#" else { return }
        while let c = current, c != "\n", c != "\r" {
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(describe(c)) in a comment") }
            i += 1
        }
    }

    /// Accepts the end of a line (LF or CRLF) or of the file.
    private mutating func endOfLine() throws {
        skipSpaces()
        try comment()
        guard let c = current else { return }
        if c == "\r" {
            guard i + 1 < s.count, s[i + 1] == "\n" else { throw fail("a carriage return not followed by a line feed") }
            i += 1
        }
        guard current == "\n" else { throw fail("unexpected \(describe(current)) after the value; one key = value per line") }
        newline()
    }

    private mutating func newline() {
        i += 1
        line += 1
        lineStart = i
    }

    private mutating func document() throws {
        while !atEnd {
            skipSpaces()
            guard let c = current else { return }
            switch c {
            case "#", "\n", "\r": break
            case "[": try tableHeader()
            default:
                if isBareKeyCharacter(c) {
                    try keyValue()
                } else if c == "\"" || c == "'" {
                    throw fail("quoted keys are not used in scenario files; write the key bare, e.g. name = ...")
                } else {
                    throw fail("unexpected \(describe(c)) where a key or a [table] was expected")
                }
            }
            try endOfLine()
        }
    }

    // MARK: - Keys and tables

    private func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": return true
        default: return false
        }
    }

    private mutating func bareKey() throws -> String {
        let start = i
        while let c = current, isBareKeyCharacter(c) { i += 1 }
        guard i > start else { throw fail("expected a key (letters, digits, _ or -), found \(describe(current))") }
        if current == "." { throw fail("dotted keys are not used in scenario files; write a [table] and then the key") }
        return String(String.UnicodeScalarView(s[start..<i]))
    }

    private mutating func tableHeader() throws {
        i += 1  // "["
        if current == "[" { throw fail("arrays of tables ([[...]]) are not used in scenario files; write [table]") }
        skipSpaces()
        _ = try bareKey()
        skipSpaces()
        guard current == "]" else { throw fail("expected ']' to close the table name, found \(describe(current))") }
        i += 1
    }

    private mutating func keyValue() throws {
        let key = try bareKey()
        skipSpaces()
        guard current == "=" else { throw fail("expected '=' after the key \(key), found \(describe(current))") }
        i += 1
        skipSpaces()
        try value(key: key, depth: 0)
    }

    // MARK: - Values

    private mutating func value(key: String, depth: Int) throws {
        guard let c = current else { throw fail("the value of \(key) is missing") }
        switch c {
        case "\"":
            if i + 2 < s.count, s[i + 1] == "\"", s[i + 2] == "\"" {
                throw fail("multi-line strings are not used in scenario files; write the string on one line")
            }
            try basicString()
        case "'":
            if i + 2 < s.count, s[i + 1] == "'", s[i + 2] == "'" {
                throw fail("multi-line strings are not used in scenario files; write the string on one line")
            }
            try literalString()
        case "[": try array(key: key, depth: depth + 1)
        case "{": throw fail("inline tables are not used in scenario files")
        case "t", "f": try word(c == "t" ? "true" : "false", key: key)
        default: try number(key: key)
        }
    }

    private mutating func word(_ w: String, key: String) throws {
        for ch in w.unicodeScalars {
            guard current == ch else { throw fail("the value of \(key) is not a string, number, boolean or array; quote text, e.g. \(key) = \"...\"") }
            i += 1
        }
        if let c = current, isBareKeyCharacter(c) || c == "." {
            throw fail("the value of \(key) is not a string, number, boolean or array; quote text, e.g. \(key) = \"...\"")
        }
    }

    private mutating func basicString() throws {
        i += 1  // opening quote
        while true {
            guard let c = current, c != "\n", c != "\r" else { throw fail("the string is not closed on its line (a '\"' is missing)") }
            if c == "\"" { i += 1; return }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(describe(c)) inside a string; write it as an escape") }
            if c == "\\" {
                i += 1
                guard let e = current else { throw fail("the string is not closed") }
                switch e {
                case "b", "t", "n", "f", "r", "\"", "\\": i += 1
                case "u": i += 1; try hexScalar(4)
                case "U": i += 1; try hexScalar(8)
                default: throw fail("\(describe(e)) cannot follow '\\' in a string (escapes: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)")
                }
                continue
            }
            i += 1
        }
    }

    private mutating func hexScalar(_ digits: Int) throws {
        var v: UInt32 = 0
        for _ in 0..<digits {
            guard let c = current, let d = Int(String(Character(c)), radix: 16) else {
                throw fail("expected \(digits) hexadecimal digits in a \\u escape")
            }
            v = v &* 16 &+ UInt32(d)
            i += 1
        }
        guard Unicode.Scalar(v) != nil else { throw fail("the escape names U+\(String(v, radix: 16, uppercase: true)), not a Unicode scalar value") }
        // A control character has no place in a scenario's strings, and NUL ends the string where
        // the TOML library hands it over as a C string: B = "2\u0000 + sin(2*pi*y)" was read as "2".
        guard v >= 0x20 || v == 0x09, v != 0x7F else {
            throw fail("the escape names the control character U+\(String(format: "%04X", v)), which a scenario's strings may not hold")
        }
    }

    private mutating func literalString() throws {
        i += 1
        while true {
            guard let c = current, c != "\n", c != "\r" else { throw fail("the string is not closed on its line (a \"'\" is missing)") }
            if c == "'" { i += 1; return }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw fail("\(describe(c)) inside a string") }
            i += 1
        }
    }

    private func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { ("0"..."9").contains($0) } ?? false }

    /// Digits with single underscores between them.
    private mutating func digits() throws {
        guard isDigit(current) else { throw fail("expected a digit, found \(describe(current))") }
        while true {
            while isDigit(current) { i += 1 }
            guard current == "_" else { return }
            i += 1
            guard isDigit(current) else { throw fail("an underscore in a number must sit between digits") }
        }
    }

    private mutating func number(key: String) throws {
        let start = i
        if current == "+" || current == "-" { i += 1 }
        if current == "i" || current == "n" {
            let w = current == "i" ? "inf" : "nan"
            try word(w, key: key)
            return
        }
        guard isDigit(current) else {
            if let c = current, c.properties.isAlphabetic || c == "(" || c == "." {
                throw fail("the value of \(key) is not a TOML value; quote text and formulas, e.g. \(key) = \"...\"")
            }
            throw fail("unexpected \(describe(current)) where the value of \(key) was expected")
        }
        if current == "0", i + 1 < s.count, ["x", "o", "b"].contains(s[i + 1]) {
            throw fail("write numbers in decimal in scenario files")
        }
        if current == "0", i + 1 < s.count, isDigit(s[i + 1]) || s[i + 1] == "_" {
            throw fail("a number cannot start with a leading zero")
        }
        try digits()
        if current == "." { i += 1; try digits() }
        if current == "e" || current == "E" {
            i += 1
            if current == "+" || current == "-" { i += 1 }
            try digits()
        }
        var slash = i
        while slash < s.count, s[slash] == " " || s[slash] == "\t" { slash += 1 }
        if slash < s.count, s[slash] == "/" {
            i = slash
            var end = i + 1
            while end < s.count, isDigit(s[end]) || s[end] == " " || s[end] == "." { end += 1 }
            let text = String(String.UnicodeScalarView(s[start..<end])).trimmingCharacters(in: .whitespaces)
            throw fail("\(key) = \(text) is not a TOML value: quote the fraction, \(key) = \"\(text)\"")
        }
        if let c = current, isBareKeyCharacter(c) || c == "." || c == ":" || c.properties.isAlphabetic || "*+^()".unicodeScalars.contains(c) {
            if c == "-" || c == ":" { throw fail("dates and times are not used in scenario files") }
            throw fail("the value of \(key) is not a number; quote text and formulas, e.g. \(key) = \"...\"")
        }
    }

    /// Skips spaces, line breaks and comments inside an array.
    private mutating func arraySpace() throws {
        while true {
            skipSpaces()
            if current == "#" { try comment() }
            if current == "\r" {
                guard i + 1 < s.count, s[i + 1] == "\n" else { throw fail("a carriage return not followed by a line feed") }
                i += 1
            }
            guard current == "\n" else { return }
            newline()
        }
    }

    private mutating func array(key: String, depth: Int) throws {
        guard depth <= Self.maxArrayDepth else {
            throw fail("arrays nest more than \(Self.maxArrayDepth) deep, the limit for scenario files")
        }
        i += 1  // "["
        try arraySpace()
        while current != "]" {
            guard current != nil else { throw fail("the array of \(key) is not closed (a ']' is missing)") }
            try value(key: key, depth: depth)
            try arraySpace()
            if current == "," {
                i += 1
                try arraySpace()
            } else if current != "]" {
                throw fail("expected ',' or ']' in the array of \(key), found \(describe(current))")
            }
        }
        i += 1
    }
}
