"""Generates pot_reference.json: fixed samples and POT's W2 values for the transport tests.

Run once (needs POT: pip install pot) from this folder:  python3 make_pot_reference.py
The Swift tests only read the JSON; they never call POT.
"""
import json

import numpy as np
import ot


def circle(a, b, wa=None, wb=None):
    return float(np.sqrt(np.ravel(ot.wasserstein_circle(a, b, wa, wb, p=2))[0]))


def torus(a, b, metric=(1.0, 0.0, 1.0)):
    m = np.array([[metric[0], metric[1]], [metric[1], metric[2]]])
    d = a[:, None, :] - b[None, :, :]
    d = d - np.round(d)
    best = None
    for k1 in (-1, 0, 1):
        for k2 in (-1, 0, 1):
            e = d + np.array([k1, k2])
            c = np.einsum("ijk,kl,ijl->ij", e, m, e)
            best = c if best is None else np.minimum(best, c)
    wa, wb = np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b))
    return float(np.sqrt(ot.emd2(wa, wb, best, numItermax=10 ** 8)))


rng = np.random.default_rng(20261125)
cases = []
a, b = rng.random(200), rng.random(150) ** 2
cases.append({"kind": "circle", "a": a.tolist(), "b": b.tolist(), "w2": circle(a, b)})
a, b = rng.random(100), (rng.random(100) + 0.3) % 1
cases.append({"kind": "circle", "a": a.tolist(), "b": b.tolist(), "w2": circle(a, b)})
a, b = rng.random(60), rng.random(80) ** 3
wa, wb = rng.random(60), rng.random(80)
wa, wb = wa / wa.sum(), wb / wb.sum()
cases.append({"kind": "circle", "a": a.tolist(), "b": b.tolist(), "wa": wa.tolist(), "wb": wb.tolist(),
              "w2": circle(a, b, wa, wb)})
a, b = rng.random((120, 2)), rng.random((90, 2)) ** 2
cases.append({"kind": "torus", "a": a.ravel().tolist(), "b": b.ravel().tolist(), "w2": torus(a, b)})
metric = (2.0, 0.3, 1.2)
cases.append({"kind": "torus", "a": a.ravel().tolist(), "b": b.ravel().tolist(), "metric": list(metric),
              "w2": torus(a, b, metric)})
with open("pot_reference.json", "w") as f:
    json.dump({"generator": f"POT {ot.__version__}, make_pot_reference.py", "cases": cases}, f)
print("\n".join(f"{c['kind']}: {c['w2']:.15f}" for c in cases))
