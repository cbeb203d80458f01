"""Reading homogen run folders (summary.json, densities_NNN.csv, positions_NNN.npy).

Every reader fails loudly, naming the file, on a folder that is not a complete run folder.
"""
import json
import sys
from pathlib import Path

import numpy as np


class RunFolderError(Exception):
    """A run folder that is missing a file or holds malformed data."""


def load_summary(run_dir, required=("scenario",)):
    """summary.json of a run folder, with the given keys checked."""
    path = Path(run_dir) / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunFolderError(f"{path}: missing (is {run_dir} a homogen run folder?)") from None
    except json.JSONDecodeError as e:
        raise RunFolderError(f"{path}: not valid JSON ({e})") from None
    for key in required:
        if key not in summary:
            raise RunFolderError(f"{path}: no '{key}' key")
    return summary


def load_histogram(run_dir, output):
    """Cell edges and densities of one output: 1D (edges, density); 2D (edges1, edges2, density[i1, i2])."""
    path = Path(run_dir) / output["histogram"]
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{path}: cannot read ({e})") from None
    names = table.dtype.names or ()
    if names == ("x_lo", "x_hi", "count", "density"):
        edges = np.append(table["x_lo"], table["x_hi"][-1])
        return edges, table["density"]
    if names == ("x1_lo", "x1_hi", "x2_lo", "x2_hi", "count", "density"):
        m = int(round(np.sqrt(len(table))))
        if m * m != len(table):
            raise RunFolderError(f"{path}: {len(table)} rows is not a square grid")
        e1 = np.append(table["x1_lo"][::m], 1.0)
        e2 = np.append(table["x2_lo"][:m], 1.0)
        return e1, e2, table["density"].reshape(m, m)
    raise RunFolderError(f"{path}: unexpected columns {names}")


def save_png(fig, path):
    """Writes a matplotlib figure to PATH atomically (temporary file, then rename) and closes it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    # bbox_inches="tight": nothing (tick labels, axis labels, colour bars) is clipped at the edge.
    fig.savefig(tmp, dpi=120, format="png", bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)
    return path


def main(argv, doc, plot):
    """Command-line wrapper of a plotting script: plot(RUN_DIR) returns the written paths."""
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
