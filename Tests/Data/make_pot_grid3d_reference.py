"""Reference values for the 3D back-and-forth grid W2 (ThreeDimensionalTests): POT's exact
discrete W2 (ot.emd2, periodic squared distance) between the cell-centre measures of densities
on an n x n x n grid of the torus [0, 1)^3 (row-major, x1 slowest), as w2_pot.py's `grid` mode
does in 2D. The densities are a floor plus periodic Gaussian bumps at cell centres, each bump
[c1, c2, c3, width, height]. Usage: python3 make_pot_grid3d_reference.py > pot_grid3d_reference.json
(needs POT: pip install pot)."""
import json

import numpy as np
import ot

CASES = [
    ("bumps", 16, {"floor": 0.0, "bumps": [[0.3, 0.4, 0.5, 0.1, 1.0]]}, {"floor": 0.0, "bumps": [[0.62, 0.7, 0.35, 0.12, 1.0]]}),
    ("shifted copy", 16, {"floor": 0.0, "bumps": [[0.3, 0.3, 0.3, 0.1, 1.0]]}, {"floor": 0.0, "bumps": [[0.5, 0.2, 0.4, 0.1, 1.0]]}),
    ("uniform floor", 16, {"floor": 0.5, "bumps": [[0.25, 0.25, 0.25, 0.08, 2.0]]}, {"floor": 0.5, "bumps": [[0.7, 0.6, 0.8, 0.1, 2.0]]}),
    ("wrapping", 16, {"floor": 0.05, "bumps": [[0.05, 0.9, 0.5, 0.1, 1.0]]}, {"floor": 0.05, "bumps": [[0.9, 0.1, 0.6, 0.1, 1.0]]}),
]


def density(spec, n):
    c = (np.arange(n) + 0.5) / n
    x = np.stack(np.meshgrid(c, c, c, indexing="ij"), -1)
    f = np.full((n, n, n), spec["floor"])
    for b in spec["bumps"]:
        d = np.abs(x - np.array(b[:3]))
        d = np.minimum(d, 1 - d)
        f += b[4] * np.exp(-(d ** 2).sum(-1) / (2 * b[3] ** 2))
    return f


def emd(a, b, n):
    c = (np.arange(n) + 0.5) / n
    p = np.stack(np.meshgrid(c, c, c, indexing="ij"), -1).reshape(-1, 3)
    d = np.abs(p[:, None, :] - p[None, :, :])
    d = np.minimum(d, 1 - d)
    m = (d ** 2).sum(-1)
    return float(np.sqrt(ot.emd2(a.ravel() / a.sum(), b.ravel() / b.sum(), m, numItermax=10 ** 9)))


grids = [{"name": name, "n": n, "a": a, "b": b, "w2": emd(density(a, n), density(b, n), n)} for name, n, a, b in CASES]
print(json.dumps({"generator": f"make_pot_grid3d_reference.py, POT {ot.__version__}", "grids": grids}, indent=1))
