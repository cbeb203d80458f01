"""Peer for the cell-problem benchmark: FFT-based homogenisation, the Moulinec-Suquet basic scheme
(the starting point of FFTHomPy), in NumPy. Solves the periodic cell problem (A.6) for a scalar
conductivity a(y) on an R x R pixel grid (values at pixel centres) and prints A_hom11 = <a (e1 + grad w)>
and the seconds. It gives an estimate only (no bounds).
Usage: python3 cell_fft_numpy.py EXPR R [TOL]   # EXPR in y1, y2 with numpy names
Example (checkerboard, contrast 10, A_hom = sqrt(10)):
  python3 cell_fft_numpy.py "np.where((np.floor(2*y1) + np.floor(2*y2)) % 2 == 0, 1.0, 10.0)" 256"""
import sys
import time

import numpy as np


def homogenise(a, tol=1e-8, max_iter=100000):
    n = a.shape[0]
    k = np.fft.fftfreq(n, d=1.0 / n)
    k1, k2 = np.meshgrid(k, k, indexing="ij")
    kk = k1 * k1 + k2 * k2
    kk[0, 0] = 1.0
    a0 = 0.5 * (a.min() + a.max())
    e1 = np.ones_like(a)
    e2 = np.zeros_like(a)
    for it in range(max_iter):
        t1 = np.fft.fft2((a - a0) * e1)
        t2 = np.fft.fft2((a - a0) * e2)
        proj = (k1 * t1 + k2 * t2) / (a0 * kk)
        g1 = k1 * proj
        g2 = k2 * proj
        g1[0, 0] = 0.0
        g2[0, 0] = 0.0
        n1 = 1.0 - np.real(np.fft.ifft2(g1))
        n2 = -np.real(np.fft.ifft2(g2))
        change = np.sqrt(np.mean((n1 - e1) ** 2 + (n2 - e2) ** 2))
        e1, e2 = n1, n2
        if change < tol:
            break
    return float(np.mean(a * e1)), it + 1


if __name__ == "__main__":
    expr = sys.argv[1]
    r = int(sys.argv[2])
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-8
    c = (np.arange(r) + 0.5) / r
    y1, y2 = np.meshgrid(c, c, indexing="ij")
    a = eval(expr, {"np": np, "y1": y1, "y2": y2}) * np.ones_like(y1)
    t0 = time.perf_counter()
    value, iterations = homogenise(a, tol)
    print(f"fft-ms R={r} A_hom11={value:.10f} iterations={iterations} seconds={time.perf_counter() - t0:.3f}")
