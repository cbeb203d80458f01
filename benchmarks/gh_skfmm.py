"""scikit-fmm baseline for scripts/bench-gh.sh: the Gromov–Hausdorff integrand phi(v) = N(v)^2 of
(5.17) for a scalar 2D medium B(y) = b(y) I. A path's length is the integral of sqrt(b) |z'|, so
N(v) = lim d(0, L v) / L; fast marching (scikit-fmm, second order) gives the travel time T from the
centre of K x K periods of R cells each, and N(v) is estimated by the slope
(T(c + L1 v) - T(c + L0 v)) / (L1 - L0) between L0 = 0.15 K and L1 = 0.45 K (bilinear interpolation).
Install: python3 -m pip install numpy scikit-fmm
Usage: python3 gh_skfmm.py EXPR [K] [R]   (EXPR in y1, y2 with numpy as np, e.g. "2 + np.sin(2*np.pi*y1)")"""
import sys
import time

import numpy as np
import skfmm


def phi(expr, periods=24, cells=32, angles=(0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)):
    n, h = periods * cells, 1.0 / cells
    centres = (np.arange(n) + 0.5) * h
    y1, y2 = np.meshgrid(centres, centres, indexing="ij")
    b = eval(expr, {"np": np, "y1": y1 % 1, "y2": y2 % 1}) * np.ones_like(y1)
    source = np.ones((n, n))
    mid = n // 2
    source[mid, mid] = -1
    t = skfmm.travel_time(source, speed=1 / np.sqrt(b), dx=h, order=2)

    def travel(point):
        i, j = point / h - 0.5
        i0, j0 = int(np.floor(i)), int(np.floor(j))
        a, c = i - i0, j - j0
        return ((1 - a) * (1 - c) * t[i0, j0] + a * (1 - c) * t[i0 + 1, j0]
                + (1 - a) * c * t[i0, j0 + 1] + a * c * t[i0 + 1, j0 + 1])

    origin = (mid + 0.5) * h
    values = []
    for angle in angles:
        v = np.array([np.cos(angle), np.sin(angle)])
        near, far = 0.15 * periods, 0.45 * periods
        slope = (travel(origin + far * v) - travel(origin + near * v)) / (far - near)
        values.append(slope * slope)
    return values


if __name__ == "__main__":
    expr = sys.argv[1]
    periods = int(sys.argv[2]) if len(sys.argv) > 2 else 24
    cells = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    start = time.perf_counter()
    values = phi(expr, periods, cells)
    print("skfmm phi(0,45,90,135 deg) = " + " ".join(f"{v:.6f}" for v in values)
          + f" seconds={time.perf_counter() - start:.2f}")
