"""Plot B_bar against C_gh for a family of 1D media (homogen_analysis.plots.metrics).

Usage: python3 analysis/plot_metrics.py DIR  ->  DIR/metrics.png (reads DIR/family.json, written by
analysis/effective_family.py)
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, cli.plots.metrics))
