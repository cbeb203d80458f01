"""Command lines: `homogen-plot RUN_DIR` and the scripts analysis/*.py, which call main here."""
import sys

from . import family, plots
from .runfolder import RunFolderError, open_run

USAGE = """Draw every figure of a homogen run folder (compare, sample, solve or stationary) into it.

Usage: homogen-plot RUN_DIR   (or python3 analysis/plot_run.py RUN_DIR)
"""


def main(argv, doc, plot):
    """Runs plot(ARG) for the one argument of argv and prints the paths it returns; prints doc for
    -h/--help (status 0) or a wrong argument count (status 2); a RunFolderError is printed as
    `error: path:line: ...` with status 1."""
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(doc)
        return 0
    if len(argv) != 2:
        print(doc, file=sys.stderr)
        return 2
    try:
        for path in plot(argv[1]):
            print(f"wrote {path}")
    except RunFolderError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def plot_folder(folder, kind=None):
    """Every figure of the run folder; with kind, refuses a folder written by another command."""
    run = open_run(folder)
    if kind is not None and run.kind != kind:
        raise RunFolderError(run.folder / "summary.json", f"a {run.kind} run folder, not a {kind} one")
    return plots.plot(run)


def homogen_plot():
    """The console script homogen-plot."""
    return main(sys.argv, USAGE, plot_folder)


def effective_family(argv, doc):
    """analysis/effective_family.py HOMOGEN OUT_DIR: family.compute, then plots.metrics."""
    if len(argv) != 3:
        print(doc, file=sys.stderr)
        return 2
    try:
        family.compute(argv[1], argv[2])
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return main(argv[:1] + argv[2:], doc, plots.metrics)
