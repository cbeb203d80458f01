import Foundation
import ArgumentParser
import Homogen

/// Why a number on the command line was refused (said after the option's name).
struct NumberError: Error, CustomStringConvertible {
    let description: String
}

/// Parses a count (particles, steps, threads, cells): a positive integer, also written in
/// scientific notation when that is exact (`1e4`, `2.5e3`); zero and negative values are
/// refused with "must be positive".
func parseCount(_ text: String) throws -> Int {
    let t = text.trimmingCharacters(in: .whitespaces)
    if let i = Int(t) {
        guard i > 0 else { throw NumberError(description: "must be positive, not \(i)") }
        return i
    }
    guard let d = Double(t), d.isFinite else { throw NumberError(description: "'\(text)' is not a whole number") }
    guard d > 0 else { throw NumberError(description: "must be positive, not \(t)") }
    guard d == d.rounded() else { throw NumberError(description: "'\(text)' is not a whole number (\(d))") }
    guard d <= 9.0e15 else { throw NumberError(description: "'\(text)' is too large (at most 9e15 here)") }
    return Int(d)
}

/// Parses a seed: a non-negative integer up to 2^64 − 1, also in scientific notation when the
/// decimal text is exactly a whole number (`1e16`, `1.5e19`; read as a decimal, not a double, so
/// that no digit is rounded).
func parseSeed(_ text: String) throws -> UInt64 {
    let t = text.trimmingCharacters(in: .whitespaces)
    if let u = UInt64(t) { return u }
    if let i = Int(t), i < 0 { throw NumberError(description: "must be zero or positive, not \(i)") }
    let refusal = NumberError(description: "'\(text)' is not a whole number from 0 to 2^64 - 1")
    // Double's parser is strict about the syntax ("1e" is no number); Decimal's keeps the digits.
    guard Double(t) != nil, t.allSatisfy({ "0123456789.eE+-".contains($0) }), var d = Decimal(string: t), d >= 0 else { throw refusal }
    var whole = Decimal()
    NSDecimalRound(&whole, &d, 0, .plain)
    guard whole == d, let u = UInt64(NSDecimalNumber(decimal: d).stringValue) else { throw refusal }
    return u
}

/// Parses a positive real number (a time step, an interval).
func parsePositive(_ text: String) throws -> Double {
    guard let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite else {
        throw NumberError(description: "'\(text)' is not a number")
    }
    guard d > 0 else { throw NumberError(description: "must be positive, not \(text)") }
    return d
}

/// A particle count from the command line: a whole number from 1 to `Scenario.maximumParticles`,
/// refused here (exit 64, naming the flag) rather than later as a scenario key.
func parseParticleCount(_ text: String) throws -> Int {
    if let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite, d == d.rounded(),
       d > Double(Scenario.maximumParticles) {
        throw NumberError(description: "must be at most \(Scenario.maximumParticles), not \(text)")
    }
    let n = try parseCount(text)
    guard n <= Scenario.maximumParticles else {
        throw NumberError(description: "must be at most \(Scenario.maximumParticles), not \(n)")
    }
    return n
}
