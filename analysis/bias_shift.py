"""The chi-square shift of a run's particle histogram against a reference, at every scale the
time-step control judges, scaled to a run of M particles (homogen_analysis.bias).

Usage: python3 analysis/bias_shift.py RUN_DIR [REFERENCE_DIR] [--particles M]

RUN_DIR: a `homogen sample` or `homogen compare` folder. REFERENCE_DIR: a sample or compare folder
with the same output times and grid (say, many particles at a much finer step); without it, a
compare folder is measured against its own eps-PDE. M defaults to RUN_DIR's particle count.
Prints, per output time t > 0 and scale, the shift, its null standard deviation and the allowed
0.25 null standard deviations; a shift within about two null standard deviations of 0 is not
resolved.
"""
import argparse
import sys

from homogen_analysis.bias import histogram, run_shifts, table
from homogen_analysis.runfolder import RunFolderError, open_run


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], usage=__doc__.split("\n\n")[1][7:])
    parser.add_argument("run")
    parser.add_argument("reference", nargs="?")
    parser.add_argument("--particles", type=int, help="scale the shift to a run of this many particles")
    args = parser.parse_args(argv[1:])
    if args.particles is not None and args.particles <= 0:
        print("error: --particles must be positive", file=sys.stderr)
        return 2
    try:
        run = open_run(args.run)
        reference = open_run(args.reference) if args.reference else None
        records = run_shifts(run, reference, args.particles)
        particles = args.particles or histogram(run, -1)[1]
    except RunFolderError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(table(records, particles))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
