"""The peer of `homogen w2` for scripts/bench-w2.sh: POT (Python Optimal Transport).

Install: python3 -m pip install pot numpy
Usage:
  python3 benchmarks/w2_pot.py circle A.txt B.txt   # 1D samples, one per line: W2 on the circle (ot.wasserstein_circle)
  python3 benchmarks/w2_pot.py torus A.txt B.txt    # 2D samples, two columns: exact W2 on the flat torus
                                                    # (ot.emd2 with the minimum-image squared distance)
  python3 benchmarks/w2_pot.py grid A.npy B.npy     # cell masses on an n x n periodic grid (row = x1 cell):
                                                    # exact W2 between the cell-centre measures (ot.emd2)
Prints W2 (the square root of POT's cost) and the seconds of the computation (reading excluded).
"""
import sys
import time

import numpy as np
import ot


def circle(a, b):
    return float(np.sqrt(np.ravel(ot.wasserstein_circle(a % 1, b % 1, p=2))[0]))


def periodic_cost(a, b):
    d = np.abs(a[:, None, :] - b[None, :, :])
    d = np.minimum(d, 1 - d)
    return (d ** 2).sum(-1)


def torus(a, b):
    wa, wb = np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b))
    return float(np.sqrt(ot.emd2(wa, wb, periodic_cost(a % 1, b % 1), numItermax=10 ** 9)))


def grid(a, b):
    n1, n2 = a.shape
    x1, x2 = np.meshgrid((np.arange(n1) + 0.5) / n1, (np.arange(n2) + 0.5) / n2, indexing="ij")
    p = np.stack([x1.ravel(), x2.ravel()], 1)
    return float(np.sqrt(ot.emd2(a.ravel() / a.sum(), b.ravel() / b.sum(), periodic_cost(p, p), numItermax=10 ** 9)))


def main():
    mode, fa, fb = sys.argv[1:4]
    if mode == "grid":
        a, b = np.load(fa), np.load(fb)
    else:
        a, b = np.loadtxt(fa, ndmin=1), np.loadtxt(fb, ndmin=1)
    t = time.perf_counter()
    w = {"circle": circle, "torus": torus, "grid": grid}[mode](a, b)
    print(f"w2={w:.12f} seconds={time.perf_counter() - t:.3f}")


if __name__ == "__main__":
    main()
