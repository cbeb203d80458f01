"""Generates pot_grid_reference.json: POT's exact discrete W2 (ot.emd2, periodic cost) between
densities on n x n periodic grids, and between weighted point sets for each cost kind of the
network simplex (periodic squared distance, constant metric <M d, d>, a general cost matrix).

Run once (needs POT: python3 -m pip install pot numpy) from this folder:
    python3 make_pot_grid_reference.py
The Swift tests only read the JSON; they never call POT. Grid densities are stored as formulas
(a uniform floor plus periodic Gaussian bumps evaluated at cell centres), re-evaluated in Swift by
the same rule; point sets and matrices are stored as numbers.
"""
import json

import numpy as np
import ot


def density(spec, n):
    c = (np.arange(n) + 0.5) / n
    x1, x2 = np.meshgrid(c, c, indexing="ij")
    f = np.full((n, n), float(spec["floor"]))
    for (a1, a2, s, amp) in spec["bumps"]:
        d1 = np.abs(x1 - a1); d1 = np.minimum(d1, 1 - d1)
        d2 = np.abs(x2 - a2); d2 = np.minimum(d2, 1 - d2)
        f += amp * np.exp(-(d1 ** 2 + d2 ** 2) / (2 * s * s))
    return f


def periodic_cost(a, b, metric=(1.0, 0.0, 1.0)):
    m = np.array([[metric[0], metric[1]], [metric[1], metric[2]]])
    d = a[:, None, :] - b[None, :, :]
    d = d - np.round(d)
    best = None
    for k1 in (-1, 0, 1):
        for k2 in (-1, 0, 1):
            e = d + np.array([k1, k2])
            c = np.einsum("ijk,kl,ijl->ij", e, m, e)
            best = c if best is None else np.minimum(best, c)
    return best


def grid_w2(fa, fb):
    n = fa.shape[0]
    c = (np.arange(n) + 0.5) / n
    x1, x2 = np.meshgrid(c, c, indexing="ij")
    p = np.stack([x1.ravel(), x2.ravel()], 1)
    m = periodic_cost(p, p)
    return float(np.sqrt(ot.emd2(fa.ravel() / fa.sum(), fb.ravel() / fb.sum(), m, numItermax=10 ** 9)))


grid_cases = [
    ("bumps", {"floor": 0.0, "bumps": [[0.3, 0.4, 0.08, 1.0]]}, {"floor": 0.0, "bumps": [[0.62, 0.7, 0.1, 1.0]]}),
    ("two bumps", {"floor": 0.0, "bumps": [[0.2, 0.2, 0.06, 1.0], [0.7, 0.5, 0.1, 0.7]]},
     {"floor": 0.0, "bumps": [[0.5, 0.8, 0.12, 1.0]]}),
    ("shifted copy", {"floor": 0.0, "bumps": [[0.3, 0.3, 0.07, 1.0]]}, {"floor": 0.0, "bumps": [[0.45, 0.2, 0.07, 1.0]]}),
    ("uniform floor", {"floor": 0.3, "bumps": [[0.25, 0.6, 0.1, 1.0]]}, {"floor": 0.3, "bumps": [[0.75, 0.4, 0.08, 1.5]]}),
    ("wrapping", {"floor": 0.05, "bumps": [[0.05, 0.1, 0.08, 1.0]]}, {"floor": 0.05, "bumps": [[0.9, 0.85, 0.08, 1.0]]}),
]
grids = []
for n in (32, 64):
    for name, a, b in grid_cases:
        if n == 64 and name == "two bumps":
            continue
        w = grid_w2(density(a, n), density(b, n))
        grids.append({"name": name, "n": n, "a": a, "b": b, "w2": w})
        print(f"grid {n} {name}: {w:.12f}", flush=True)

rng = np.random.default_rng(20261126)
simplex = []
a, b = rng.random((300, 2)), rng.random((250, 2)) ** 2
wa, wb = rng.random(300), rng.random(250)
wa, wb = wa / wa.sum(), wb / wb.sum()
simplex.append({"kind": "periodic", "a": a.ravel().tolist(), "b": b.ravel().tolist(), "wa": wa.tolist(),
                "wb": wb.tolist(), "cost": float(ot.emd2(wa, wb, periodic_cost(a, b), numItermax=10 ** 8))})
metric = (1.7, -0.4, 0.8)
simplex.append({"kind": "metric", "metric": list(metric), "a": a.ravel().tolist(), "b": b.ravel().tolist(),
                "wa": wa.tolist(), "wb": wb.tolist(),
                "cost": float(ot.emd2(wa, wb, periodic_cost(a, b, metric), numItermax=10 ** 8))})
a, b = rng.random((500, 2)), rng.random((400, 2)) ** 1.5
simplex.append({"kind": "periodic-equal", "a": a.ravel().tolist(), "b": b.ravel().tolist(),
                "cost": float(ot.emd2(np.full(500, 1 / 500), np.full(400, 1 / 400), periodic_cost(a, b), numItermax=10 ** 8))})
# A general (non-metric, asymmetric) cost matrix, e.g. what a Finsler cost would produce.
m = rng.random((70, 50)) ** 3 + 0.1 * np.arange(70)[:, None] / 70
wa, wb = rng.random(70), rng.random(50)
wa, wb = wa / wa.sum(), wb / wb.sum()
simplex.append({"kind": "matrix", "matrix": m.ravel().tolist(), "wa": wa.tolist(), "wb": wb.tolist(),
                "cost": float(ot.emd2(wa, wb, m, numItermax=10 ** 8))})
for c in simplex:
    print(f"simplex {c['kind']}: {c['cost']:.15f}")
with open("pot_grid_reference.json", "w") as f:
    json.dump({"generator": f"POT {ot.__version__}, make_pot_grid_reference.py", "grids": grids,
               "simplex": simplex}, f)
