"""Reference values for exact W2 between point clouds of the flat 3D torus (ThreeDimensionalTests):
POT's ot.emd2 with the periodic squared distance (minimum image), uniform weights and given
weights. Usage: python3 make_pot_points3d_reference.py > pot_points3d_reference.json (needs POT)."""
import json

import numpy as np
import ot

rng = np.random.default_rng(7)


def cost(a, b):
    d = np.abs(a[:, None, :] - b[None, :, :])
    d = np.minimum(d, 1 - d)
    return (d ** 2).sum(-1)


cases = []
for name, n, m, weighted in [("uniform 40 vs 50", 40, 50, False), ("weighted 30 vs 30", 30, 30, True),
                             ("across the seam 25 vs 25", 25, 25, False)]:
    a, b = rng.random((n, 3)), rng.random((m, 3))
    if name.startswith("across"):
        a = (0.05 * rng.random((n, 3))) % 1
        b = (0.95 + 0.05 * rng.random((m, 3))) % 1
    wa = rng.random(n) + 0.1 if weighted else np.full(n, 1 / n)
    wb = rng.random(m) + 0.1 if weighted else np.full(m, 1 / m)
    w2 = float(np.sqrt(ot.emd2(wa / wa.sum(), wb / wb.sum(), cost(a, b), numItermax=10 ** 8)))
    case = {"name": name, "a": a.ravel().tolist(), "b": b.ravel().tolist(), "w2": w2}
    if weighted:
        case["wa"], case["wb"] = wa.tolist(), wb.tolist()
    cases.append(case)
print(json.dumps({"generator": f"make_pot_points3d_reference.py, POT {ot.__version__}", "cases": cases}))
