"""Plot any homogen run folder: dispatches on the `command` recorded in its summary.json.

Usage: python3 analysis/plot_run.py RUN_DIR   (installed: homogen-plot RUN_DIR)
Writes the figures of homogen_analysis.plots (compare, sample, solve or stationary) into RUN_DIR.
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, cli.plot_folder))
