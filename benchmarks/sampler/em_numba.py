"""Numba baseline for scripts/bench-sampler.sh: @njit(parallel=True) Euler–Maruyama for the bench
scenarios (scenarios/bench-1d.toml, bench-2d.toml; eps = 1/16, dt = 1e-5), the drift written out as
in em_c_gsl.c, one NumPy generator stream per particle.

Install: python3 -m pip install numba numpy
Usage: python3 em_numba.py DIM PARTICLES STEPS THREADS   (prints ns_per_particle_step=...)"""
import sys
import time

import numba
import numpy as np
from numba import njit, prange

N_EPS, H, TWO_PI = 16.0, 1e-5, 2 * np.pi


@njit(parallel=True)
def steps_1d(x, steps, seed):
    root_h = np.sqrt(H)
    for i in prange(x.shape[0]):
        np.random.seed(seed + i)
        p = x[i]
        for _ in range(steps):
            a, b = TWO_PI * p, TWO_PI * p * N_EPS
            inv_b = 1.0 / (2.0 + np.sin(b))
            d_log_pi = -0.5 * TWO_PI * np.sin(a) / (1 + 0.5 * np.cos(a)) - N_EPS * 0.5 * TWO_PI * np.sin(b) / (1 + 0.5 * np.cos(b))
            d_inv_b = -N_EPS * TWO_PI * np.cos(b) * inv_b * inv_b
            p += (inv_b * d_log_pi + d_inv_b) * H + np.sqrt(2 * inv_b) * root_h * np.random.standard_normal()
            p -= np.floor(p)
        x[i] = p


@njit(parallel=True)
def steps_2d(x, steps, seed):
    root_h = np.sqrt(H)
    for i in prange(x.shape[0]):
        np.random.seed(seed + i)
        p1, p2 = x[i, 0], x[i, 1]
        for _ in range(steps):
            a1, a2 = TWO_PI * p1, TWO_PI * p2
            b1, b2 = a1 * N_EPS, a2 * N_EPS
            sb1, cb1, sb2, cb2 = np.sin(b1), np.cos(b1), np.sin(b2), np.cos(b2)
            inv1, inv2 = 1 / (2 + sb1), 1 / (2 + cb2)
            fast = 1 + 0.5 * cb1 * cb2
            g1 = -0.5 * TWO_PI * np.sin(a1) / (1 + 0.5 * np.cos(a1)) - N_EPS * 0.5 * TWO_PI * sb1 * cb2 / fast
            g2 = -0.5 * TWO_PI * np.sin(a2) / (1 + 0.5 * np.cos(a2)) - N_EPS * 0.5 * TWO_PI * cb1 * sb2 / fast
            d1, d2 = -N_EPS * TWO_PI * cb1 * inv1 * inv1, N_EPS * TWO_PI * sb2 * inv2 * inv2
            p1 += (inv1 * g1 + d1) * H + np.sqrt(2 * inv1) * root_h * np.random.standard_normal()
            p2 += (inv2 * g2 + d2) * H + np.sqrt(2 * inv2) * root_h * np.random.standard_normal()
            p1 -= np.floor(p1)
            p2 -= np.floor(p2)
        x[i, 0], x[i, 1] = p1, p2


def main():
    dim, n, steps, threads = (int(a) for a in sys.argv[1:5])
    numba.set_num_threads(threads)
    x = np.random.default_rng(2024).random(n if dim == 1 else (n, 2))
    run = steps_1d if dim == 1 else steps_2d
    run(x[:8].copy(), 2, 0)  # compile before timing
    t0 = time.perf_counter()
    run(x, steps, 2024)
    sec = time.perf_counter() - t0
    print(f"numba dim={dim} particles={n} steps={steps} threads={threads} mean={x.mean():.4f} "
          f"ns_per_particle_step={1e9 * sec / (n * steps):.2f}")


if __name__ == "__main__":
    main()
