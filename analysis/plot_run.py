"""Plot any homogen run folder: dispatches on the `command` recorded in its summary.json.

Usage: python3 analysis/plot_run.py RUN_DIR
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plot_compare  # noqa: E402
import plot_sample  # noqa: E402
import plot_solve  # noqa: E402
import plot_stationary  # noqa: E402
from runfolder import RunFolderError, load_summary, main  # noqa: E402

PLOTTERS = {"sample": plot_sample.plot, "compare": plot_compare.plot, "solve": plot_solve.plot,
            "stationary": plot_stationary.plot}


def plot(run_dir):
    command = load_summary(run_dir).get("command")
    if command not in PLOTTERS:
        raise RunFolderError(f"{Path(run_dir) / 'summary.json'}: unknown command {command!r}")
    return PLOTTERS[command](run_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
