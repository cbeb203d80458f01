"""Reading homogen run folders and drawing their figures.

    import homogen_analysis as ha
    run = ha.open_run("runs/oscillatory-1d")   # summary.json read; CSVs read on demand
    run.kind, run.dimension, run.times          # "compare", 1, array([0., 0.05, ...])
    last = run.snapshot(-1)                     # Cells: last["epsilon"], last.edges, last.centres
    ha.plots.plot(run)                          # the PNGs of homogen-plot, written into the folder
"""
from . import plots
from .runfolder import Cells, Run, RunFolderError, cells_from_table, open_run, read_csv, read_json

__all__ = ["Cells", "Run", "RunFolderError", "cells_from_table", "open_run", "plots", "read_csv", "read_json"]
