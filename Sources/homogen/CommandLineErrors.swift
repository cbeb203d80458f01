import ArgumentParser
import Homogen

/// The library's errors speak the library's terms; on the command line, the ones a flag can act
/// on also name that flag.
struct CommandLineFailure: Error, CustomStringConvertible {
    let description: String

    /// The error as the command line reports it: a library error that a flag can act on gains the
    /// flag; every other error passes through unchanged.
    static func translate(_ error: Error) -> Error {
        switch error {
        case SamplerError.timeStepTooCoarse:
            return CommandLineFailure(description: "\(error) (the scenario's [time] dt, or --dt; --allow-coarse-dt)")
        case TimeStepControl.Failure.requestedStepTooCoarse:
            return CommandLineFailure(description: "\(error) (--dt; --allow-coarse-dt samples at --dt anyway)")
        case TimeStepControl.Failure.noPassingStep:
            return CommandLineFailure(description: "\(error) (--particles; --dt with --allow-coarse-dt)")
        case TimeStepControl.Failure.passingStepTooCostly, TimeStepControl.Failure.pilotsInconclusive:
            return CommandLineFailure(description: "\(error) (--particles; --dt with --allow-coarse-dt)")
        case SamplerError.interrupted(let folder?):
            return CommandLineFailure(description: "\(error): continue with --resume \(folder)")
        case StationaryError.badSetting(_, let setting?):
            switch setting {
            case .dt: return CommandLineFailure(description: "\(error) (--dt)")
            case .batches: return CommandLineFailure(description: "\(error) (--batches)")
            case .recordEvery: return CommandLineFailure(description: "\(error) (--record-every)")
            }
        case StationaryError.badRunLength:
            return CommandLineFailure(description: "\(error) (--final)")
        case StationaryError.badBurnIn:
            return CommandLineFailure(description: "\(error) (--burn-in)")
        case ComparisonError.positionsMissing:
            return CommandLineFailure(description: "\(error) (sample with --positions)")
        case SolverError.badSetting(let setting, _):
            switch setting {
            case .solverResolution, .cellResolution: return CommandLineFailure(description: "\(error) (--resolution)")
            case .outputCells: return CommandLineFailure(description: "\(error) (--cells)")
            case .slowPoints: return CommandLineFailure(description: "\(error) (--slow-points)")
            case .epsilonStudy: return CommandLineFailure(description: "\(error) (--epsilons)")
            case .dt: return CommandLineFailure(description: "\(error) (--dt; --solver-dt in compare)")
            }
        case SolverError.badMedium(let what) where what.hasPrefix("["):
            // A scenario key found wrong by a solver (not by the scenario's own checks): the file too.
            guard let path = Provenance.current.options["scenario"], path != "default" else { return error }
            return CommandLineFailure(description: "\(path): \(what)")
        case SamplerError.notDifferentiable, SamplerError.coefficientsNotFinite, SamplerError.stratonovichNeedsDiagonalMedium,
             SamplerError.initialDensityAboveBound,
             SamplerError.metropolisNeedsBackwardIto, SamplerError.stationaryNeedsBackwardIto:
            // The sampler's own refusals of a scenario's keys: the file too, as the scenario's checks do.
            guard let path = Provenance.current.options["scenario"], path != "default" else { return error }
            return CommandLineFailure(description: "\(path): \(error)")
        case let e as TransportFiles.FileError where e.isGridDensity:
            return CommandLineFailure(description: "\(e) (--grid)")
        case SolverError.gridTooLarge:
            return CommandLineFailure(description: "\(error) (--resolution; the output cells are --cells in solve, [grid] cells in the scenario)")
        case SolverError.gridTooSmall:
            return CommandLineFailure(description: "\(error) (--resolution)")
        case let e as Checkpoint.Invalid where e.needsPositions:
            return CommandLineFailure(description: "\(e.message): resume with --positions")
        default:
            return error
        }
    }
}
