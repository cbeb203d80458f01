"""Plot a `homogen stationary` run folder (homogen_analysis.plots.stationary).

Usage: python3 analysis/plot_stationary.py RUN_DIR  ->  RUN_DIR/stationary.png (and RUN_DIR/bias.png
with a dt sweep).
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, lambda folder: cli.plot_folder(folder, "stationary")))
