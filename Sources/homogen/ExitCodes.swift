import ArgumentParser
import Foundation
import Homogen

/// Exit statuses, after BSD's sysexits(3), documented in docs/guide.md ("Exit codes").
enum ExitStatus: Int32 {
    /// Something else went wrong (a solver did not converge, the particles blew up, ...).
    case failure = 1
    /// EX_USAGE: a bad command line (unknown option, a value out of range).
    case usage = 64
    /// EX_DATAERR: bad input data: a scenario file, a sample file, a shard or checkpoint folder.
    case dataError = 65
    /// EX_IOERR: a file could not be read or written (the disk is full, no permission, ...).
    case ioError = 74
    /// 128 + SIGINT: stopped by Ctrl-C (or SIGTERM).
    case interrupted = 130

    /// The status for an error thrown by a command's `run()`.
    init(for error: Error) {
        switch error {
        case let e as ScenarioError: self = e.isUnreadableFile ? .ioError : .dataError
        case is ExpressionError: self = .dataError
        case let e as SamplerError:
            switch e {
            case .interrupted: self = .interrupted
            case .notDifferentiable, .coefficientsNotFinite, .stratonovichNeedsDiagonalMedium, .timeStepTooCoarse, .initialDensityAboveBound,
                 .metropolisNeedsBackwardIto, .stationaryNeedsBackwardIto:
                self = .dataError
            case .notFinite, .tooMuchMemory: self = .failure
            }
        case let e as TimeStepControl.Failure: self = e.isInterrupted ? .interrupted : .dataError
        case let e as SolverError:
            switch e {
            case .badMedium: self = .dataError
            case .badSetting, .gridTooLarge, .gridTooSmall: self = .usage
            case .notConverged: self = .failure
            case .unsupportedDimension: self = .dataError
            }
        case let e as StationaryError:
            switch e {
            case .badSetting, .badRunLength, .badBurnIn: self = .usage
            case .partials: self = .dataError
            }
        case let e as ComparisonError:
            switch e {
            case .positionsMissing: self = .dataError
            case .particlesDoNotFit: self = .failure
            }
        case let e as TransportFiles.FileError: self = e.unreadable ? .ioError : .dataError
        case is GridWasserstein.InputError, is ExactTransport.TooLarge, is Transport.Unsupported: self = .dataError
        case let e as ShardMerge.MergeError: self = e.missing ? .ioError : .dataError
        case is Checkpoint.Invalid: self = .dataError
        case is AtomicFile.WriteError, is OutputFolder.Problem, is CocoaError, is POSIXError: self = .ioError
        default: self = .failure
        }
    }
}

extension HomogenCommand {
    /// `--name -1` as `--name=-1`: swift-argument-parser reads a value starting with "-" as an
    /// option and would say the value is missing, where the option's own check names what is
    /// wrong with it ("--dt must be positive, not -1"). Arguments after "--" are left alone.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { return out + arguments[i...] }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count, isNegativeNumber(arguments[i + 1]) {
                out.append(a + "=" + arguments[i + 1])
                i += 2
            } else {
                out.append(a)
                i += 1
            }
        }
        return out
    }

    private static func isNegativeNumber(_ s: String) -> Bool {
        s.hasPrefix("-") && s.count > 1 && Double(s) != nil
    }

    /// Parses the command line and runs the command; errors from the command line exit as
    /// swift-argument-parser decides (64, or 0 for --help), errors from the run exit with the
    /// `ExitStatus` of the error. With no arguments at all, prints the help and a hint.
    static func main() {
        let arguments = joiningNegativeValues(Array(CommandLine.arguments.dropFirst()))
        if arguments.isEmpty {
            print(helpMessage())
            print("\nNo command given. `homogen demo` runs the main job on the embedded default scenario "
                + "(about 30 s on 2 cores; it writes runs/); `homogen help COMMAND` describes a command.")
            return
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        RunContext.start(arguments: CommandLine.arguments, command: command)
        do {
            try command.run()
        } catch let e as ValidationError {
            // A flag refused once the command runs: the message, and where the command's own help
            // is (the parser would print the top-level usage here).
            let name = type(of: command).configuration.commandName.map { " " + $0 } ?? ""
            printError("Error: \(e.message)\n  See 'homogen\(name) --help' for more information.")
            Foundation.exit(ExitStatus.usage.rawValue)
        } catch let e where e is CleanExit || e is ExitCode {
            exit(withError: e)
        } catch let e where isArgumentParserError(e) {
            // `homogen help COMMAND` parses to a command whose run() throws the parser's own help
            // request: swift-argument-parser prints the help and exits 0.
            exit(withError: e)
        } catch is ComparisonDiffers {
            // `compare --strict`: the run wrote everything and printed its verdict.
            Foundation.exit(ComparisonDiffers.exitCode)
        } catch {
            let status = ExitStatus(for: error)
            var message = "Error: \(CommandLineFailure.translate(error))"
            // The advice depends on the command and its flags (`Interrupts.checkpointAdvice`).
            if case SamplerError.interrupted(nil) = error {
                message = "Interrupted: nothing was written" + (Interrupts.checkpointAdvice.map { ". To make a long run resumable, " + $0 } ?? "") + "."
            }
            if let e = error as? TimeStepControl.Failure, e.isInterrupted {
                message += ". No run folder was written" + (Interrupts.checkpointAdvice.map { "; to make the sampling after the pilots resumable too, " + $0 } ?? "") + "."
            }
            printError(message)
            Foundation.exit(status.rawValue)
        }
    }

    /// True for the errors swift-argument-parser throws itself (help and version requests, parse
    /// errors), some of whose types it does not make public.
    private static func isArgumentParserError(_ error: Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}
