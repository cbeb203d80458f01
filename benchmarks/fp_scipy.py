"""SciPy baseline for scripts/bench-solver.sh: the eps-Fokker–Planck equation
    d_t rho = div( pi_eps B_eps^{-1} grad(rho / pi_eps) )
in f = rho / pi_eps by finite volumes (face coefficients: harmonic means of the cell values of
pi B^{-1}) and backward Euler, (M + dt K) f_new = M f_old with M = diag(pi_i h^d), the matrix
factorised once by SuperLU (scipy.sparse.linalg.splu) and one solve per step.

Problems (the bench media of scenarios/bench-1d.toml and bench-2d.toml at other eps and grids):
  1: eps = 1/64, 2048 cells, t = 1 in 1000 steps, rho0 = 1 + 0.9 cos 2 pi x;
  2: eps = 1/16, 256 x 256 cells, t = 0.1 in 1000 steps, rho0 = 1 + 0.9 cos 2 pi x1 cos 2 pi x2.
Install: python3 -m pip install numpy scipy
Usage: python3 fp_scipy.py DIM   (prints factorise_s, stepping_s, mass_drift and min_rho)"""
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

TWO_PI = 2 * np.pi


def harmonic_faces(k, axis):
    """Harmonic mean of the cell coefficients on the periodic faces i + 1/2 along `axis`."""
    right = np.roll(k, -1, axis)
    return 2 * k * right / (k + right)


def stiffness(faces, index, h, dim):
    """The symmetric finite-volume operator (integrated over the cells) from face coefficients."""
    rows, cols, vals = [], [], []
    for axis, f in enumerate(faces):
        a = index.ravel()
        b = np.roll(index, -1, axis).ravel()
        w = (f * h ** (dim - 2)).ravel()
        rows += [a, b, a, b]
        cols += [a, b, b, a]
        vals += [w, w, -w, -w]
    n = index.size
    return sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


def run1d():
    n_eps, n, final, steps = 64, 2048, 1.0, 1000
    h = 1 / n
    x = (np.arange(n) + 0.5) * h
    y = x * n_eps
    pi = (1 + 0.5 * np.cos(TWO_PI * x)) * (1 + 0.5 * np.cos(TWO_PI * y))
    pi /= pi.sum() * h
    k = pi / (2 + np.sin(TWO_PI * y))
    K = stiffness([harmonic_faces(k, 0)], np.arange(n), h, 1)
    M = sp.diags(pi * h)
    rho0 = 1 + 0.9 * np.cos(TWO_PI * x)
    return solve(M, K, rho0 / pi, pi, h, final / steps, steps)


def run2d():
    n_eps, n, final, steps = 16, 256, 0.1, 1000
    h = 1 / n
    c = (np.arange(n) + 0.5) * h
    x1, x2 = np.meshgrid(c, c, indexing="ij")
    y1, y2 = x1 * n_eps, x2 * n_eps
    pi = (1 + 0.5 * np.cos(TWO_PI * x1)) * (1 + 0.5 * np.cos(TWO_PI * x2)) * (1 + 0.5 * np.cos(TWO_PI * y1) * np.cos(TWO_PI * y2))
    pi /= pi.sum() * h * h
    faces = [harmonic_faces(pi / (2 + np.sin(TWO_PI * y1)), 0), harmonic_faces(pi / (2 + np.cos(TWO_PI * y2)), 1)]
    K = stiffness(faces, np.arange(n * n).reshape(n, n), h, 2)
    M = sp.diags((pi * h * h).ravel())
    rho0 = (1 + 0.9 * np.cos(TWO_PI * x1) * np.cos(TWO_PI * x2)).ravel()
    return solve(M, K, rho0 / pi.ravel(), pi.ravel(), h * h, final / steps, steps)


def solve(M, K, f, pi, cell, dt, steps):
    """Backward Euler in f; returns (factorise seconds, stepping seconds, mass drift, min rho)."""
    t0 = time.perf_counter()
    lu = spla.splu((M + dt * K).tocsc())
    t1 = time.perf_counter()
    mass = (f * pi).sum() * cell
    for _ in range(steps):
        f = lu.solve(M @ f)
    t2 = time.perf_counter()
    rho = f * pi
    return t1 - t0, t2 - t1, abs(rho.sum() * cell - mass), rho.min()


if __name__ == "__main__":
    dim = int(sys.argv[1])
    fac, step, drift, low = run1d() if dim == 1 else run2d()
    print(f"scipy-fv dim={dim} factorise_s={fac:.3f} stepping_s={step:.3f} total_s={fac + step:.3f} "
          f"mass_drift={drift:.2e} min_rho={low:.4f}")
