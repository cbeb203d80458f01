import ArgumentParser
import Foundation
import Homogen

/// The command-line side of provenance: the command line, every option of the parsed command
/// (given or default) and the commit, recorded as `Provenance.current` before any work.
enum RunContext {
    static func start(arguments: [String], command: ParsableCommand) {
        Provenance.current = Provenance(
            commandLine: arguments, options: options(of: command), commit: buildGitCommit, start: Date())
    }

    /// Every `@Argument`, `@Option` and `@Flag` of the command (and of its option groups), by
    /// its long name; an option left unset is recorded as "default".
    static func options(of value: Any) -> [String: String] {
        var result: [String: String] = [:]
        for child in Mirror(reflecting: value).children {
            guard let label = child.label, label.hasPrefix("_") else { continue }
            let name = kebab(String(label.dropFirst()))
            if let group = child.value as? OptionGroupValue {
                result.merge(options(of: group.groupValue)) { a, _ in a }
            } else if let parsed = child.value as? ParsedValue {
                result[name] = render(parsed.parsedValue)
            }
        }
        return result
    }

    private static func render(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let inner = mirror.children.first?.value else { return "default" }
            return render(inner)
        }
        if let array = value as? [Any] { return array.map(render).joined(separator: " ") }
        return "\(value)"
    }

    /// allowCoarseDt -> allow-coarse-dt
    private static func kebab(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) }
        }
        return out
    }

    /// A version line: the version, the commit it was built from, and GSL's version.
    static var versionLine: String {
        "\(HomogenVersion.current) (commit \(buildGitCommit ?? "unknown: built without git"), GSL \(GSLLibrary.version))"
    }
}

/// Reading the value of a parsed property wrapper without knowing its type.
private protocol ParsedValue { var parsedValue: Any { get } }
private protocol OptionGroupValue { var groupValue: Any { get } }
extension Option: ParsedValue { var parsedValue: Any { wrappedValue } }
extension Flag: ParsedValue { var parsedValue: Any { wrappedValue } }
extension Argument: ParsedValue { var parsedValue: Any { wrappedValue } }
extension OptionGroup: OptionGroupValue { var groupValue: Any { wrappedValue } }
