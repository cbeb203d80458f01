"""Plot the particle histograms of a `homogen sample` run folder (homogen_analysis.plots.sample).

Usage: python3 analysis/plot_sample.py RUN_DIR  ->  RUN_DIR/histograms.png
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, lambda folder: cli.plot_folder(folder, "sample")))
