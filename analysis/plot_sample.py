"""Plot the particle histograms of a `homogen sample` (or `homogen demo`) run folder.

Usage: python3 analysis/plot_sample.py RUN_DIR  ->  RUN_DIR/histograms.png
1D: the density at every output time on one axis; 2D: one image panel per output time on a
shared colour scale.
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runfolder import load_histogram, load_summary, main, save_png  # noqa: E402


def plot(run_dir):
    run_dir = Path(run_dir)
    summary = load_summary(run_dir, ("scenario", "outputs"))
    sc = summary["scenario"]
    outputs = summary["outputs"]
    title = f"{sc['name']}: eps = {sc['epsilon']}, {sc['particles']} particles, {sc['convention']}"
    if sc["dimension"] == 1:
        fig, ax = plt.subplots(figsize=(7, 4))
        for out in outputs:
            edges, density = load_histogram(run_dir, out)
            ax.stairs(density, edges, label=f"t = {out['t']:g}")
        ax.set_xlabel("x")
        ax.set_ylabel("particle density")
        ax.set_xlim(0, 1)
        ax.legend()
    else:
        data = [load_histogram(run_dir, out) for out in outputs]
        vmax = max(d[2].max() for d in data)
        fig, axes = plt.subplots(1, len(data), figsize=(3.4 * len(data) + 1, 3.6), squeeze=False,
                                 constrained_layout=True)
        for ax, out, (e1, e2, density) in zip(axes[0], outputs, data):
            im = ax.pcolormesh(e1, e2, density.T, vmin=0, vmax=vmax, cmap="viridis")
            ax.set_title(f"t = {out['t']:g}")
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
            ax.set_aspect("equal")
        fig.colorbar(im, ax=axes[0].tolist(), label="particle density")
    fig.suptitle(title, fontsize=9)
    return [save_png(fig, run_dir / "histograms.png")]


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
