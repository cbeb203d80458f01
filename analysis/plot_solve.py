"""Plot a `homogen solve` run folder: free energy, dissipation and the energy–dissipation balance.

Usage: python3 analysis/plot_solve.py RUN_DIR  ->  RUN_DIR/energy.png, RUN_DIR/density.png
energy.png: top, E(rho_t) (1.12) and psi* (2.22) against t, with psi (2.23) at the output times;
bottom, |E(rho_t) + int (psi + psi*) - E(rho_0)|, the residual of (2.21).
density.png: the density at each output time (1D: lines; 2D: image panels on a shared colour scale).
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runfolder import RunFolderError, load_summary, main, save_png  # noqa: E402


def plot(run_dir):
    run_dir = Path(run_dir)
    summary = load_summary(run_dir, ("scenario", "outputs"))
    path = run_dir / summary.get("energy_history", "energy.csv")
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{path}: cannot read ({e})") from None
    if table.dtype.names != ("t", "energy", "psi_star", "balance_residual"):
        raise RunFolderError(f"{path}: unexpected columns {table.dtype.names}")
    sc = summary["scenario"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    top.plot(table["t"], table["energy"], label="free energy E")
    top.plot(table["t"], table["psi_star"], label="dissipation psi*")
    outs = summary["outputs"]
    top.plot([o["t"] for o in outs], [o["psi"] for o in outs], "o", label="psi (elliptic solve) at outputs")
    top.set_yscale("log")
    top.set_ylabel("energy, dissipation")
    top.legend(fontsize=8)
    top.set_title(f"{sc['name']}: {summary['equation']} equation, eps = {sc['epsilon']}, dt = {summary['dt']:g}", fontsize=9)
    bottom.plot(table["t"][1:], np.abs(table["balance_residual"][1:]), color="C3")
    bottom.set_yscale("log")
    bottom.set_xlabel("t")
    bottom.set_ylabel("|balance residual (2.21)|")
    bottom.set_title("energy–dissipation balance: E(t) + integral of (psi + psi*) - E(0)", fontsize=9)
    written = [save_png(fig, run_dir / "energy.png")]
    tables = []
    for out in outs:
        p = run_dir / out["density"]
        try:
            t = np.genfromtxt(p, delimiter=",", names=True)
        except (OSError, ValueError) as e:
            raise RunFolderError(f"{p}: cannot read ({e})") from None
        if "density" not in (t.dtype.names or ()):
            raise RunFolderError(f"{p}: no 'density' column")
        tables.append(t)
    if sc["dimension"] == 1:
        fig, ax = plt.subplots(figsize=(7, 4))
        for out, t in zip(outs, tables):
            ax.stairs(t["density"], np.append(t["x_lo"], t["x_hi"][-1]), label=f"t = {out['t']:g}")
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        ax.legend(fontsize=8)
    else:
        fig, axes = plt.subplots(1, len(tables), figsize=(3.4 * len(tables) + 1, 3.6), squeeze=False,
                                 constrained_layout=True)
        vmax = max(t["density"].max() for t in tables)
        for ax, out, t in zip(axes[0], outs, tables):
            m = int(round(np.sqrt(len(t))))
            im = ax.imshow(t["density"].reshape(m, m).T, origin="lower", extent=(0, 1, 0, 1), vmin=0, vmax=vmax)
            ax.set_title(f"t = {out['t']:g}", fontsize=8)
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
            ax.tick_params(labelsize=8)
        fig.colorbar(im, ax=axes[0].tolist(), label="density")
    fig.suptitle(f"{sc['name']}: {summary['equation']} equation", fontsize=9)
    written.append(save_png(fig, run_dir / "density.png"))
    return written


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
