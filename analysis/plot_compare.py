"""Plot a `homogen compare` (or `homogen demo`) run folder (homogen_analysis.plots.compare).

Usage: python3 analysis/plot_compare.py RUN_DIR  ->  RUN_DIR/densities.png, RUN_DIR/w2.png
(and RUN_DIR/w2_vs_eps.png with an epsilon study).
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, lambda folder: cli.plot_folder(folder, "compare")))
