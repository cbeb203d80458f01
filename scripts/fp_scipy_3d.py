"""The 3D peer of ../shared/peers/fp_scipy.py, written here because the shared peers stop at 2D:
the same scheme as `homogen bench-solve 3` on the same problem (bench-3d medium and equilibrium,
eps = 1/8, 64^3 cells, 100 backward-Euler steps to t = 0.01, rho0 = 1 + 0.9 cos cos cos), in
SciPy sparse: unknown f = rho/pi, M = diag(pi_i h^3), face weights the harmonic means of
k_d = pi / B_dd times h, and Lie splitting into the x1, x2 and x3 directions, each
(M + dt K_d) f = M f_old factorised once by splu (a block of independent cyclic tridiagonal
lines, so the LU stays sparse) and solved once a step.
Usage: python3 scripts/fp_scipy_3d.py [N] [STEPS] [--save FILE]
Prints the seconds (factorisation and stepping), the mass drift and the density's min."""
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

TP = 2 * np.pi


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 64
    steps = int(args[1]) if len(args) > 1 else 100
    eps, T = 1 / 8, 0.01
    h = 1 / n
    c = (np.arange(n) + 0.5) * h
    x = np.meshgrid(c, c, c, indexing="ij")
    y = [xi / eps for xi in x]
    pi = np.prod([1 + 0.5 * np.cos(TP * xi) for xi in x], axis=0) * (1 + 0.5 * np.cos(TP * y[0]) * np.cos(TP * y[1]) * np.cos(TP * y[2]))
    pi /= pi.sum() * h ** 3
    b = [2 + np.sin(TP * y[0]), 2 + np.cos(TP * y[1]), 2 + np.sin(TP * y[2])]
    idx = np.arange(n ** 3).reshape(n, n, n)
    mass = (pi * h ** 3).ravel()
    M = sp.diags(mass)
    dt = T / steps
    t0 = time.perf_counter()
    factors = []
    for d in range(3):
        k = pi / b[d]
        face = 2 * k * np.roll(k, -1, d) / (k + np.roll(k, -1, d))   # harmonic mean across face i + 1/2
        w = (face * h).ravel()
        a, bb = idx.ravel(), np.roll(idx, -1, d).ravel()
        K = sp.csc_matrix((np.concatenate([w, w, -w, -w]), (np.concatenate([a, bb, a, bb]), np.concatenate([a, bb, bb, a]))),
                          shape=(n ** 3, n ** 3))
        factors.append(spla.splu((M + dt * K).tocsc()))
    t1 = time.perf_counter()
    f = (1 + 0.9 * np.cos(TP * x[0]) * np.cos(TP * x[1]) * np.cos(TP * x[2])).ravel() / pi.ravel()
    mass0 = (f * mass).sum()
    for _ in range(steps):
        for lu in factors:
            f = lu.solve(mass * f)
    t2 = time.perf_counter()
    rho = f * pi.ravel()
    if "--save" in sys.argv:
        np.savetxt(sys.argv[sys.argv.index("--save") + 1], rho)
    print(f"scipy-fv dim=3 cells={n} factorise_s={t1 - t0:.3f} stepping_s={t2 - t1:.3f} total_s={t2 - t0:.3f} "
          f"mass_drift={abs((f * mass).sum() - mass0):.2e} min_rho={rho.min():.4f}")


if __name__ == "__main__":
    main()
