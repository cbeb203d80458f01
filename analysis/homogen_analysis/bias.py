"""The chi-square shift of a run's histogram against a reference, at every scale the time-step
control judges (docs/sampler.md, "How adequate the chosen steps are"): the way a step's bias is
measured directly, by sampling at that step with many particles.

For cell probabilities p̂ from N particles against exact probabilities p, Pearson's statistic
X² = N Σ_g (p̂_g − p_g)²/p_g over k groups has mean (k − 1) + λ, λ = N Σ b_g²/p_g the shift a bias
b = E p̂ − p causes, and null standard deviation √(2(k − 1)). So λ̂ = X² − (k − 1) estimates λ,
and λ scales with N: the shift in a run of M particles is λ̂ M/N. Against a second histogram of N'
particles (a reference run at a much finer step), X² = Σ (p̂ − p̂')²/p̄ / (1/N + 1/N') with p̄ the
pooled probabilities, and the shift in a run of M is λ̂ M (1/N + 1/N'). The control's allowed
shift is κ √(2(k − 1)), κ = 1/4 (`DiscretisationBias.tolerance`).

Scales: the output cells merged c per axis, c = 1, 2, 4, … while at least 4 groups per axis
remain (`TestedScales.coarsenings`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .runfolder import RunFolderError

KAPPA = 0.25
COARSEST = 4


@dataclass
class Shift:
    """λ̂ and its null standard deviation at one output time and scale, scaled to `particles`."""
    t: float
    coarsening: int
    groups: int
    shift: float
    null_sd: float
    threshold: float


def coarsenings(cells):
    """1, 2, 4, … while cells/c ≥ 4 (always 1)."""
    out, c = [1], 2
    while cells // c >= COARSEST:
        out.append(c)
        c *= 2
    return out


def merge(p, c):
    """Sums blocks of c cells along every axis of the grid p (each side a multiple of c)."""
    shape = []
    for n in p.shape:
        shape += [n // c, c]
    return p.reshape(shape).sum(axis=tuple(range(1, 2 * p.ndim, 2)))


def shifts(p_hat, n, p_ref, n_ref=None, particles=None, t=0.0):
    """Shift records at every scale: p_hat (grid of probabilities, from n particles) against p_ref,
    exact probabilities when n_ref is None, else a histogram of n_ref particles. Scaled to
    `particles` (default n). Groups where the reference (pooled) probability is 0 are left out."""
    p_hat, p_ref = np.asarray(p_hat, float), np.asarray(p_ref, float)
    if p_hat.shape != p_ref.shape:
        raise ValueError(f"the grids differ: {p_hat.shape} and {p_ref.shape}")
    m = n if particles is None else particles
    out = []
    for c in coarsenings(p_hat.shape[0]):
        a, b = merge(p_hat, c).ravel(), merge(p_ref, c).ravel()
        if n_ref is None:
            keep = b > 0
            stat = n * np.sum((a[keep] - b[keep]) ** 2 / b[keep])
            scale = m / n
        else:
            pooled = (n * a + n_ref * b) / (n + n_ref)
            keep = pooled > 0
            stat = np.sum((a[keep] - b[keep]) ** 2 / pooled[keep]) / (1 / n + 1 / n_ref)
            scale = m * (1 / n + 1 / n_ref)
        k = int(keep.sum())
        dof = max(k - 1, 1)
        out.append(Shift(t, c, k, (stat - (k - 1)) * scale, np.sqrt(2 * dof) * scale, KAPPA * np.sqrt(2 * dof)))
    return out


def histogram(run, k):
    """(probabilities on the output grid, particle count) of output time k of a sample or compare
    run folder."""
    cells = run.snapshot(k)
    if run.kind == "sample":
        counts = cells["count"]
        n = counts.sum()
        return counts / n, int(round(n))
    if run.kind == "compare":
        volume = np.prod([np.diff(e)[0] for e in cells.edges])
        p = cells["particles"] * volume
        return p / p.sum(), int(run.summary["particles"])
    raise RunFolderError(run.folder / "summary.json", f"a {run.kind} run folder has no particle histogram")


def run_shifts(run, reference=None, particles=None):
    """Shift records at every output time t > 0 of `run` against `reference` (another sample or
    compare folder with the same output times and grid), or, without one, against the ε-PDE of
    a compare folder (its `epsilon` column, normalised)."""
    if reference is None and run.kind != "compare":
        raise RunFolderError(run.folder / "summary.json",
                             "a sample folder needs a reference folder (a run at a much finer step, or a compare folder's eps-PDE)")
    if reference is not None and not np.allclose(reference.times, run.times):
        raise RunFolderError(reference.folder / "summary.json",
                             f"output times {reference.times.tolist()} differ from {run.times.tolist()}")
    out = []
    for k, t in enumerate(run.times):
        if t <= 0:
            continue
        p_hat, n = histogram(run, k)
        if reference is None:
            cells = run.snapshot(k)
            p_ref = cells["epsilon"] * np.prod([np.diff(e)[0] for e in cells.edges])
            out += shifts(p_hat, n, p_ref / p_ref.sum(), particles=particles, t=t)
        else:
            p_ref, n_ref = histogram(reference, k)
            if p_ref.shape != p_hat.shape:
                raise RunFolderError(reference.folder / "summary.json", f"grid {p_ref.shape} differs from {p_hat.shape}")
            out += shifts(p_hat, n, p_ref, n_ref, particles=particles, t=t)
    return out


def table(records, particles):
    """The records as the text table `bias_shift.py` prints."""
    lines = [f"chi-square shift scaled to {particles} particles (allowed: 0.25 null standard deviations)",
             f"{'t':>8} {'cells/axis':>10} {'groups':>7} {'shift':>10} {'null sd':>9} {'allowed':>8} {'shift/allowed':>14}"]
    for r in records:
        lines.append(f"{r.t:8g} {r.coarsening:10d} {r.groups:7d} {r.shift:10.3g} {r.null_sd:9.3g} {r.threshold:8.3g} "
                     f"{r.shift / r.threshold:14.2f}")
    return "\n".join(lines)
