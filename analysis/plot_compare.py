"""Plot a `homogen compare` (or `homogen demo`) run folder.

Usage: python3 analysis/plot_compare.py RUN_DIR  ->  RUN_DIR/densities.png, RUN_DIR/w2.png
(and RUN_DIR/w2_vs_eps.png with an epsilon study). 1D: particle histogram, eps-PDE and
homogenised densities at each output time; 2D: image panels, the three densities on a shared
colour scale and pi_eps, pi_bar each on its own (CSV rows row-major, x1 slowest).
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


def load_densities(run_dir, name):
    path = Path(run_dir) / name
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{path}: cannot read ({e})") from None
    for col in ("particles", "epsilon", "homogenised", "pi_eps", "pi_bar"):
        if col not in (table.dtype.names or ()):
            raise RunFolderError(f"{path}: no '{col}' column")
    return table


def plot(run_dir):
    run_dir = Path(run_dir)
    summary = load_summary(run_dir, ("scenario", "outputs"))
    for key in ("densities",):
        if key not in summary:
            raise RunFolderError(f"{run_dir / 'summary.json'}: no '{key}' key (not a compare run folder?)")
    sc = summary["scenario"]
    outputs = summary["outputs"]
    tables = [load_densities(run_dir, name) for name in summary["densities"]]
    written = []
    title = f"{sc['name']}: eps = {sc['epsilon']}, {summary['particles']} particles"
    if sc["dimension"] == 1:
        fig, axes = plt.subplots(len(tables), 1, figsize=(7, 2.2 * len(tables)), sharex=True, squeeze=False)
        n = summary["particles"]
        for ax, out, t in zip(axes[:, 0], outputs, tables):
            edges = np.append(t["x_lo"], t["x_hi"][-1])
            width = edges[1] - edges[0]
            # Sampling band: ±2 binomial standard deviations of the particle histogram around the eps-PDE.
            p = t["epsilon"] * width
            band = 2 * np.sqrt(np.maximum(p * (1 - p), 0) / n) / width
            ax.stairs(t["epsilon"] + band, edges, baseline=t["epsilon"] - band, fill=True, color="C0", alpha=0.2,
                      label="eps-PDE ± 2 sd of N particles")
            ax.stairs(t["particles"], edges, label="particles", color="0.3", baseline=None)
            ax.stairs(t["epsilon"], edges, label="eps-PDE", color="C0", baseline=None)
            ax.stairs(t["homogenised"], edges, label="homogenised", color="C3", baseline=None)
            ax.stairs(t["pi_eps"], edges, label="pi_eps", color="C2", linestyle=":", baseline=None)
            ax.stairs(t["pi_bar"], edges, label="pi_bar", color="C1", linestyle="--", baseline=None)
            ax.set_title(f"t = {out['t']:g}: W2(particles, eps) = {out['w2_particles_epsilon']:.2e}, "
                         f"p = {out['p_value_particles_epsilon']:.2f}", fontsize=8)
            ax.set_ylabel("density")
        # Beside the panels, not over the curves.
        axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        axes[-1, 0].set_xlabel("x")
    else:
        # The three evolving densities share one colour scale; the equilibria pi_eps and pi_bar
        # each get their own, or the bump of the initial density would hide their oscillation.
        evolving = ("particles", "epsilon", "homogenised")
        equilibria = ("pi_eps", "pi_bar")
        columns = evolving + equilibria
        fig, axes = plt.subplots(len(tables), len(columns), figsize=(3.2 * len(columns), 3 * len(tables)),
                                 squeeze=False, constrained_layout=True)
        vmax = max(max(t[c].max() for c in evolving) for t in tables)
        for row, out, t in zip(axes, outputs, tables):
            m = int(round(np.sqrt(len(t))))
            for ax, col in zip(row, columns):
                # Rows of the CSV are row-major with x1 slowest: reshape(m, m)[i1, i2]; transpose for x2 upwards.
                image = t[col].reshape(m, m).T
                if col in evolving:
                    im = ax.imshow(image, origin="lower", extent=(0, 1, 0, 1), vmin=0, vmax=vmax)
                else:
                    own = ax.imshow(image, origin="lower", extent=(0, 1, 0, 1), cmap="magma")
                    fig.colorbar(own, ax=ax, shrink=0.8, label=col)
                ax.set_title(f"{col}, t = {out['t']:g}" if col in evolving else f"{col} (own scale)", fontsize=8)
                ax.set_xlabel("x1", fontsize=8)
                ax.set_ylabel("x2", fontsize=8)
                ax.tick_params(labelsize=7)
        fig.colorbar(im, ax=axes[:, :len(evolving)].ravel().tolist(), label="density (particles, eps-PDE, homogenised)",
                     location="bottom", shrink=0.6)
    fig.suptitle(title, fontsize=9)
    written.append(save_png(fig, run_dir / "densities.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    ts = [o["t"] for o in outputs]
    ax.fill_between(ts, 0, [o["w2_monte_carlo_quantile95"] for o in outputs], color="0.85",
                    label="bootstrap null, 95% quantile")
    ax.plot(ts, [o["w2_monte_carlo_floor"] for o in outputs], "k--", label="Monte Carlo floor (null mean)")
    ax.plot(ts, [o["w2_particles_epsilon"] for o in outputs], "o-", label="W2(particles, eps-PDE)")
    ax.plot(ts, [o["w2_epsilon_homogenised"] for o in outputs], "s-", label="W2(eps-PDE, homogenised)")
    if all(o.get("w2_bar_epsilon_homogenised") is not None for o in outputs):
        ax.plot(ts, [o["w2_bar_epsilon_homogenised"] for o in outputs], "^-", label="W_bar(eps-PDE, homogenised)")
    if all(o.get("w_gh_epsilon_homogenised") is not None for o in outputs):
        ax.plot(ts, [o["w_gh_epsilon_homogenised"] for o in outputs], "v-", label="W_GH(eps-PDE, homogenised)")
    ax.set_xlabel("t")
    ax.set_ylabel("W2 distance")
    ax.set_yscale("log")
    ax.set_title(f"{sc['name']}: distances against time (eps = {sc['epsilon']})", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    written.append(save_png(fig, run_dir / "w2.png"))

    study = summary.get("epsilon_study")
    if study and study.get("fitted_rate") is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        eps = np.array(study["epsilon_values"])
        w = np.array(study["w2_epsilon_homogenised"])
        ax.loglog(eps, w, "o", label="W2(eps-PDE, homogenised)")
        rate = study["fitted_rate"]
        ax.loglog(eps, w[-1] * (eps / eps[-1]) ** rate, "--", label=f"fit: eps^{rate:.2f}")
        floor = outputs[-1]["w2_monte_carlo_floor"]
        ax.axhline(floor, color="k", linestyle=":", label=f"Monte Carlo floor at N = {summary['particles']}")
        ax.set_xlabel("eps")
        ax.set_ylabel(f"W2(eps-PDE, homogenised) at t = {study['time']:g}")
        ax.set_title(f"{sc['name']}: approach to the homogenised limit", fontsize=9)
        ax.set_xticks(eps, [f"1/{round(1 / e)}" for e in eps])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.legend(fontsize=8)
        written.append(save_png(fig, run_dir / "w2_vs_eps.png"))
    return written


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, plot))
