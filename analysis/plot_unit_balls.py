"""Draw the unit balls of the Gromov-Hausdorff integrand phi (5.17) and of the effective metric
B_bar (homogen_analysis.plots.unit_balls).

Usage: python3 analysis/plot_unit_balls.py DIR  ->  DIR/unit_balls.png
DIR holds one or more `homogen effective SCENARIO --json > DIR/NAME.json` outputs (2D, with gh_norm).
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, cli.plots.unit_balls))
