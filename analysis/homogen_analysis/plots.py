"""The figures of homogen run folders, drawn from a `Run` (see runfolder.py) and written as PNGs
into the folder; each function returns the paths it wrote.

Matplotlib's object API only (no pyplot): nothing here depends on or changes a backend.
"""
from pathlib import Path

import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

from .runfolder import RunFolderError, read_json


def save_png(fig, path):
    """Writes the figure to path atomically (a temporary file, then a rename); returns path."""
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    # bbox_inches="tight": nothing (tick labels, axis labels, colour bars) is clipped at the edge.
    fig.savefig(tmp, dpi=120, format="png", bbox_inches="tight")
    tmp.replace(path)
    return path


def image(ax, cells, name, **kwargs):
    """Draws the 2D field cells[name] on ax between its periodic cell edges (x1 across, x2 up, equal
    aspect); kwargs go to pcolormesh (vmin, vmax, cmap). A 3D grid: draw cells.slice(axis, index)."""
    if cells.dimension != 2:
        raise ValueError(f"image draws 2D cells, not {cells.dimension}D (take cells.slice(axis, index))")
    mesh = ax.pcolormesh(cells.edges[0], cells.edges[1], cells[name].T, **kwargs)
    ax.set_aspect("equal")
    return mesh


def _panels(count, figsize):
    """A constrained-layout figure with one row of `count` axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(1, count, squeeze=False)[0]


def compare(run):
    """densities.png: at each output time, the particle histogram, eps-PDE and homogenised densities
    with pi_eps and pi_bar (1D: curves with the particles' +-2 sd sampling band; 2D: image panels, the
    three evolving densities on one colour scale, pi_eps and pi_bar each on its own; 3D: the same
    panels for the x1-x2 marginals); w2.png: the
    distances against time over the bootstrap null; w2_vs_eps.png with an epsilon study."""
    summary, sc, outputs = run.summary, run.summary["scenario"], run.outputs
    snaps = [run.snapshot(k) for k in range(len(run.times))]
    written = []
    title = f"{sc['name']}: eps = {sc['epsilon']}, {summary['particles']} particles"
    if run.dimension == 1:
        fig = Figure(figsize=(7, 2.2 * len(snaps)))
        axes = fig.subplots(len(snaps), 1, sharex=True, squeeze=False)[:, 0]
        n = summary["particles"]
        for ax, out, s in zip(axes, outputs, snaps):
            edges = s.edges[0]
            width = edges[1] - edges[0]
            # Sampling band: ±2 binomial standard deviations of the particle histogram around the eps-PDE.
            p = s["epsilon"] * width
            band = 2 * np.sqrt(np.maximum(p * (1 - p), 0) / n) / width
            ax.stairs(s["epsilon"] + band, edges, baseline=s["epsilon"] - band, fill=True, color="C0", alpha=0.2,
                      label="eps-PDE ± 2 sd of N particles")
            ax.stairs(s["particles"], edges, label="particles", color="0.3", baseline=None)
            ax.stairs(s["epsilon"], edges, label="eps-PDE", color="C0", baseline=None)
            ax.stairs(s["homogenised"], edges, label="homogenised", color="C3", baseline=None)
            ax.stairs(s["pi_eps"], edges, label="pi_eps", color="C2", linestyle=":", baseline=None)
            ax.stairs(s["pi_bar"], edges, label="pi_bar", color="C1", linestyle="--", baseline=None)
            ax.set_title(f"t = {out['t']:g}: W2(particles, eps) = {out['w2_particles_epsilon']:.2e}, "
                         f"p = {out['p_value_particles_epsilon']:.2f}", fontsize=8)
            ax.set_ylabel("density")
        # Beside the panels, not over the curves.
        axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        axes[-1].set_xlabel("x")
    else:
        # The three evolving densities share one colour scale; the equilibria pi_eps and pi_bar
        # each get their own, or the bump of the initial density would hide their oscillation.
        # 3D: the x1-x2 marginal (the mean over x3) of each.
        if run.dimension == 3:
            snaps = [s.marginal(2) for s in snaps]
            title += " (x1-x2 marginals)"
        evolving = ("particles", "epsilon", "homogenised")
        columns = evolving + ("pi_eps", "pi_bar")
        fig = Figure(figsize=(3.2 * len(columns), 3 * len(snaps)), layout="constrained")
        axes = fig.subplots(len(snaps), len(columns), squeeze=False)
        vmax = max(s[c].max() for s in snaps for c in evolving)
        for row, s in zip(axes, snaps):
            for ax, col in zip(row, columns):
                if col in evolving:
                    mesh = image(ax, s, col, vmin=0, vmax=vmax)
                    ax.set_title(f"{col}, t = {s.t:g}", fontsize=8)
                else:
                    fig.colorbar(image(ax, s, col, cmap="magma"), ax=ax, shrink=0.8, label=col)
                    ax.set_title(f"{col} (own scale)", fontsize=8)
                ax.set_xlabel("x1", fontsize=8)
                ax.set_ylabel("x2", fontsize=8)
                ax.tick_params(labelsize=7)
        fig.colorbar(mesh, ax=axes[:, :len(evolving)].ravel().tolist(),
                     label="density (particles, eps-PDE, homogenised)", location="bottom", shrink=0.6)
    fig.suptitle(title, fontsize=9)
    written.append(save_png(fig, run.folder / "densities.png"))

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ts = run.times
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
    written.append(save_png(fig, run.folder / "w2.png"))

    study = summary.get("epsilon_study")
    if study and study.get("fitted_rate") is not None:
        fig = Figure(figsize=(5, 4))
        ax = fig.subplots()
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
        written.append(save_png(fig, run.folder / "w2_vs_eps.png"))
    return written


def _density_figure(snaps, dimension, label, small):
    """The density at each output time: in 1D, stairs on one axis; in 2D, one image panel per time
    on a shared colour scale; in 3D, per time the slice through the middle of x3 (top) and the
    x1-x2 marginal (bottom), each row on its own colour scale. `small`: 8-point titles, ticks and
    legend (`solve`); otherwise the 1D axis spans [0, 1] (`sample`)."""
    if dimension == 3:
        return _density_figure_3d(snaps, label, small)
    if dimension == 1:
        fig = Figure(figsize=(7, 4))
        ax = fig.subplots()
        for s in snaps:
            ax.stairs(s["density"], s.edges[0], label=f"t = {s.t:g}")
        ax.set_xlabel("x")
        ax.set_ylabel(label)
        if small:
            ax.legend(fontsize=8)
        else:
            ax.set_xlim(0, 1)
            ax.legend()
        return fig
    fig, axes = _panels(len(snaps), (3.4 * len(snaps) + 1, 3.6))
    _image_row(fig, axes, snaps, [f"t = {s.t:g}" for s in snaps], label, small, 8 if small else None)
    return fig


def _image_row(fig, row, cells, titles, label, small, title_size):
    """One row of density images (x1 across, x2 up) on a shared colour scale, with its colour bar."""
    vmax = max(c["density"].max() for c in cells)
    for ax, c, title in zip(row, cells, titles):
        mesh = image(ax, c, "density", vmin=0, vmax=vmax)
        ax.set_title(title, **({"fontsize": title_size} if title_size else {}))
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        if small:
            ax.tick_params(labelsize=8)
    fig.colorbar(mesh, ax=list(row), label=label)


def _density_figure_3d(snaps, label, small):
    """3D densities as slices and marginals (see _density_figure)."""
    fig = Figure(figsize=(3.4 * len(snaps) + 1, 6.8), layout="constrained")
    axes = fig.subplots(2, len(snaps), squeeze=False)
    middle = (len(snaps[0].edges[2]) - 1) // 2   # the cell that starts at x3 = 1/2 (n even)
    rows = [([s.slice(2, middle) for s in snaps], f"slice x3 in [{snaps[0].edges[2][middle]:g}, "
             f"{snaps[0].edges[2][middle + 1]:g})"), ([s.marginal(2) for s in snaps], "marginal over x3")]
    for row, (cells, what) in zip(axes, rows):
        _image_row(fig, row, cells, [f"t = {s.t:g}: {what}" for s in snaps], label, small, 8)
    return fig


def sample(run):
    """histograms.png: the particle density at every output time (1D: one axis; 2D: one image panel
    per time on a shared colour scale)."""
    sc = run.summary["scenario"]
    fig = _density_figure([run.snapshot(k) for k in range(len(run.times))], run.dimension, "particle density", small=False)
    fig.suptitle(f"{sc['name']}: eps = {sc['epsilon']}, {sc['particles']} particles, {sc['convention']}", fontsize=9)
    return [save_png(fig, run.folder / "histograms.png")]


def solve(run):
    """energy.png: top, E(rho_t) (1.12) and psi* (2.22) against t with psi (2.23) at the output
    times; bottom, |E(rho_t) + int (psi + psi*) - E(rho_0)|, the residual of (2.21).
    density.png: the density at each output time (1D: lines; 2D: image panels on one colour scale)."""
    summary, sc, outs = run.summary, run.summary["scenario"], run.outputs
    energy = run.energy()
    fig = Figure(figsize=(7, 6))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(energy["t"], energy["energy"], label="free energy E")
    top.plot(energy["t"], energy["psi_star"], label="dissipation psi*")
    top.plot(run.times, [o["psi"] for o in outs], "o", label="psi (elliptic solve) at outputs")
    top.set_yscale("log")
    top.set_ylabel("energy, dissipation")
    top.legend(fontsize=8)
    top.set_title(f"{sc['name']}: {summary['equation']} equation, eps = {sc['epsilon']}, dt = {summary['dt']:g}",
                  fontsize=9)
    bottom.plot(energy["t"][1:], np.abs(energy["balance_residual"][1:]), color="C3")
    bottom.set_yscale("log")
    bottom.set_xlabel("t")
    bottom.set_ylabel("|balance residual (2.21)|")
    bottom.set_title("energy–dissipation balance: E(t) + integral of (psi + psi*) - E(0)", fontsize=9)
    written = [save_png(fig, run.folder / "energy.png")]
    fig = _density_figure([run.snapshot(k) for k in range(len(run.times))], run.dimension, "density", small=True)
    fig.suptitle(f"{sc['name']}: {summary['equation']} equation", fontsize=9)
    written.append(save_png(fig, run.folder / "density.png"))
    return written


def stationary(run):
    """stationary.png: estimated cell probabilities with 95% error bars against the exact pi_eps
    (pi_eps.csv, output grid) and the coarse-grained pi_eps (pi_eps_coarse.csv, one cell per
    eps-period) with pi_bar on the coarse cells (the homogenisation error at this eps).
    bias.png with a dt sweep: the Euler–Maruyama bias against dt with its fitted order (none when the
    biases are not significant), and the scheme of the run (MALA: its own bias, zero within error)."""
    summary, sc = run.summary, run.summary["scenario"]
    written = []
    fig = Figure(figsize=(11, 4))
    for ax, name, label in zip(fig.subplots(1, 2), ("pi_eps.csv", "pi_eps_coarse.csv"),
                               ("pi_eps (output grid)", "coarse-grained pi_eps (one cell per eps-period)")):
        cells = run.grid(name, ("estimate", "standard_error", "exact"))
        # 2D: the cells in the CSV's order, row-major (x1 slowest).
        col = {k: v.ravel() for k, v in cells.values.items()}
        if cells.dimension == 1:
            where, xlabel = cells.centres[0], "x (cell centre)"
        else:
            where, xlabel = np.arange(col["estimate"].size), "cell, row-major (x1 slowest)"
        ax.errorbar(where, col["estimate"], yerr=1.96 * col["standard_error"], fmt=".", ms=3,
                    label="estimate ± 1.96 se")
        ax.plot(where, col["exact"], "-", lw=1, label="exact pi_eps")
        if "pi_bar" in col:
            ax.plot(where, col["pi_bar"], ":", lw=1, label="pi_bar (homogenisation error)")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("probability")
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=8)
    acceptance = summary.get("acceptance_rate")
    fig.suptitle(f"{sc['name']}: {summary['scheme']}, dt = {summary['dt']:g}, {sc['particles']} particles"
                 + (f", acceptance {acceptance:.3f}" if acceptance is not None else ""), fontsize=9)
    written.append(save_png(fig, run.folder / "stationary.png"))
    sweep = summary.get("dt_sweep")
    if sweep:
        fig = Figure(figsize=(5.5, 4))
        ax = fig.subplots()
        dts, bias, se = np.array(sweep["dts"]), np.abs(np.array(sweep["bias"])), np.array(sweep["standard_error"])
        ax.errorbar(dts, bias, yerr=2 * se, fmt="o", label="Euler–Maruyama |bias|")
        if sweep.get("order") is not None:
            ax.loglog(dts, bias[0] * (dts / dts[0]) ** sweep["order"], "--",
                      label=f"fit: dt^({sweep['order']:.2f} ± {sweep['order_standard_error']:.2f})")
        else:
            ax.plot([], [], " ", label="no order: not every bias exceeds 2 se")
        # The observable the sweep measured (older folders: the first cos(... / eps)).
        key = sweep.get("observable") if sweep.get("observable") in summary["observable_means"] \
            else next(k for k in summary["observable_means"] if k.startswith("cos") and k.endswith("/ eps)"))
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
        written.append(save_png(fig, run.folder / "bias.png"))
    return written


PLOTS = {"compare": compare, "sample": sample, "solve": solve, "stationary": stationary}


def plot(run):
    """Every figure of the run folder, by the command that wrote it."""
    return PLOTS[run.kind](run)


def metrics(folder):
    """metrics.png from folder/family.json (written by `homogen_analysis.family`): left, B_bar and
    C_gh against the exponent a of pi = B^a; right, B_bar against C_gh with the line of equality,
    reached at a = 1/2 (pi proportional to sqrt(B)): W_GH = sqrt(C_gh) W2 < W_bar = sqrt(B_bar) W2 elsewhere."""
    folder = Path(folder)
    path = folder / "family.json"
    family = read_json(path, "run analysis/effective_family.py first")
    try:
        a, b, c = (np.array(family[k], dtype=float) for k in ("a", "B_bar", "C_gh"))
    except (KeyError, ValueError, TypeError) as e:
        raise RunFolderError(path, f"malformed ({e})") from None
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    left.plot(a, b, "o-", label="B_bar (effective metric, A.9)")
    left.plot(a, c, "s-", label="C_gh (Gromov–Hausdorff, 5.13)")
    left.axvline(0.5, color="k", linestyle=":", label="pi proportional to sqrt(B)")
    left.set_xlabel("a in pi = B^a, B = 2 + sin(2 pi y)")
    left.set_ylabel("metric constant")
    left.set_title("B_bar and C_gh along the family (1D)", fontsize=9)
    left.legend(fontsize=8)
    right.plot(c, b, "o")
    lo, hi = min(b.min(), c.min()), max(b.max(), c.max())
    right.plot([lo, hi], [lo, hi], "k--", label="B_bar = C_gh")
    right.set_xlabel("C_gh")
    right.set_ylabel("B_bar")
    right.set_title("B_bar >= C_gh, equal only for pi proportional to sqrt(B)", fontsize=9)
    right.legend(fontsize=8)
    return [save_png(fig, folder / "metrics.png")]


def _unit_ball(path):
    """gh_norm (angles, phi) and B_bar (at the first slow point where it depends on x) of one
    `homogen effective SCENARIO --json` output (2D)."""
    j = read_json(path)
    try:
        gh = j["gh_norm"]
        angles = np.array(gh["angles"], dtype=float)
        phi = np.array(gh["phi"], dtype=float)
        b = j["B_bar"]
        b = np.array(b["values"][0] if isinstance(b, dict) else b, dtype=float)
        if angles.shape != phi.shape or b.shape != (2, 2) or np.any(phi <= 0):
            raise ValueError("shapes or values")
    except (KeyError, ValueError, TypeError) as e:
        raise RunFolderError(path, f"malformed ({e})") from None
    return angles, phi, b


def unit_balls(folder):
    """unit_balls.png from every folder/*.json (`homogen effective SCENARIO --json` outputs, 2D, with
    gh_norm). Each panel: {v : phi(v) <= 1} (a Finsler ball, not an ellipse in general) against the
    ellipse {v : <B_bar v, v> <= 1}. phi <= <B_bar v, v> everywhere means the phi ball contains the
    ellipse: W_GH < W_bar, as in (5.18)-(5.19)."""
    folder = Path(folder)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise RunFolderError(folder, "no *.json (write `homogen effective SCENARIO --json` outputs there)")
    fig = Figure(figsize=(4.5 * len(files), 4.5))
    for ax, path in zip(fig.subplots(1, len(files), squeeze=False)[0], files):
        angles, phi, b = _unit_ball(path)
        # Both halves of the symmetric ball.
        t = np.concatenate([angles, angles + np.pi, angles[:1] + 2 * np.pi])
        r = 1 / np.sqrt(np.concatenate([phi, phi, phi[:1]]))
        ax.plot(r * np.cos(t), r * np.sin(t), "o-", ms=3, label="phi(v) = 1 (Gromov–Hausdorff)")
        s = np.linspace(0, 2 * np.pi, 400)
        v = np.stack([np.cos(s), np.sin(s)])
        q = np.einsum("ik,ij,jk->k", v, b, v)
        ax.plot(v[0] / np.sqrt(q), v[1] / np.sqrt(q), "k--", label="<B_bar v, v> = 1 (effective)")
        ax.set_aspect("equal")
        ax.set_title(path.stem)
        ax.legend(fontsize=7, loc="lower left")
    return [save_png(fig, folder / "unit_balls.png")]
