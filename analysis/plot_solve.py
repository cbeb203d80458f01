"""Plot a `homogen solve` run folder: free energy, dissipation, the energy–dissipation balance and
the densities (homogen_analysis.plots.solve).

Usage: python3 analysis/plot_solve.py RUN_DIR  ->  RUN_DIR/energy.png, RUN_DIR/density.png
"""
import sys

from homogen_analysis import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv, __doc__, lambda folder: cli.plot_folder(folder, "solve")))
