"""Plot a `homogen stationary` run folder.

Usage: python3 analysis/plot_stationary.py RUN_DIR  ->  RUN_DIR/stationary.png (and RUN_DIR/bias.png
with a dt sweep). Estimated cell probabilities with 95% error bars against the exact pi_eps (output
grid) and the coarse-grained pi_eps (one cell per eps-period), with pi_bar on the coarse cells (the
homogenisation error at this eps); the Euler–Maruyama bias against dt with its fitted order (none
when the biases are not significant), and the scheme of the run (MALA: its own bias, zero within
error) beside it.
"""
import sys
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runfolder import RunFolderError, load_summary, main, save_png  # noqa: E402


CELL_COLUMNS = {("x_lo", "x_hi"): 1, ("x1_lo", "x1_hi", "x2_lo", "x2_hi"): 2}


def load_cells(path):
    """pi_eps.csv or pi_eps_coarse.csv: the cell's edges (1D or 2D), estimate, standard_error, exact
    (and pi_bar in pi_eps_coarse.csv)."""
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{path}: cannot read ({e})") from None
    names = table.dtype.names or ()
    for cells in CELL_COLUMNS:
        if names in (cells + ("estimate", "standard_error", "exact"), cells + ("estimate", "standard_error", "exact", "pi_bar")):
            return table
    raise RunFolderError(f"{path}: unexpected columns {names}")


def plot(run_dir):
    run_dir = Path(run_dir)
    summary = load_summary(run_dir, ("scenario", "scheme", "dt"))
    sc = summary["scenario"]
    written = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, name, label in zip(axes, ("pi_eps.csv", "pi_eps_coarse.csv"),
                               ("pi_eps (output grid)", "coarse-grained pi_eps (one cell per eps-period)")):
        t = load_cells(run_dir / name)
        if "x_lo" in t.dtype.names:
            where, xlabel = (t["x_lo"] + t["x_hi"]) / 2, "x (cell centre)"
        else:
            where, xlabel = np.arange(len(t)), "cell, row-major (x1 slowest)"
        ax.errorbar(where, t["estimate"], yerr=1.96 * t["standard_error"], fmt=".", ms=3, label="estimate ± 1.96 se")
        ax.plot(where, t["exact"], "-", lw=1, label="exact pi_eps")
        if "pi_bar" in t.dtype.names:
            ax.plot(where, t["pi_bar"], ":", lw=1, label="pi_bar (homogenisation error)")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("probability")
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle(f"{sc['name']}: {summary['scheme']}, dt = {summary['dt']:g}, {sc['particles']} particles"
                 + (f", acceptance {summary['acceptance_rate']:.3f}" if summary.get("acceptance_rate") is not None else ""),
                 fontsize=9)
    written.append(save_png(fig, run_dir / "stationary.png"))
    sweep = summary.get("dt_sweep")
    if sweep:
        fig, ax = plt.subplots(figsize=(5.5, 4))
        dts, bias, se = np.array(sweep["dts"]), np.abs(np.array(sweep["bias"])), np.array(sweep["standard_error"])
        ax.errorbar(dts, bias, yerr=2 * se, fmt="o", label="Euler–Maruyama |bias|")
        if sweep.get("order") is not None:
            ax.loglog(dts, bias[0] * (dts / dts[0]) ** sweep["order"], "--",
                      label=f"fit: dt^({sweep['order']:.2f} ± {sweep['order_standard_error']:.2f})")
        else:
            ax.plot([], [], " ", label="no order: not every bias exceeds 2 se")
        key = next(k for k in summary["observable_means"] if k.endswith("/ eps)"))
        if summary["scheme"] in ("metropolis", "mala"):
            b = abs(summary["observable_means"][key] - summary["observable_exact"][key])
            ax.errorbar([summary["dt"]], [max(b, 1e-12)], fmt="s", color="C2",
                        label=f"MALA at dt = {summary['dt']:g} (|bias| {b:.1e})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        # One labelled tick per dt of the sweep, none in between (log-axis minor labels overlapped).
        ax.set_xticks(dts, [f"{d:.2g}" for d in dts])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_xlabel("dt")
        ax.set_ylabel(f"|bias| of {key}")
        ax.set_title(f"{sc['name']}: Euler–Maruyama bias of the stationary mean", fontsize=9)
        ax.legend(fontsize=8)
        written.append(save_png(fig, run_dir / "bias.png"))
    return written


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
