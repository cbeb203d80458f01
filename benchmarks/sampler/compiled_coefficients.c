// What compiling the coefficient tape could gain at most: bench-1d's drift and noise written out
// as one C loop (the same operations in the same order as its tape, `homogen bench
// scenarios/bench-1d.toml --show-tape`; sin and cos through libmvec as the tape's kernels), over
// chunks of 256 particles, one thread. Compare with 2 x tape_ns_per_particle of `homogen bench`
// (the tape alone on 2 threads). Build: clang -O3 -fno-math-errno -fveclib=libmvec ... -lmvec -lm
#include <math.h>
#include <stdio.h>
#include <time.h>
#define N 256

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

// B = 2 + sin(2 pi y), pi = (1 + cos(2 pi x)/2)(1 + cos(2 pi y)/2), y = 16 x; backward Ito:
// drift = B^-1 (d/dx log pi) + d/dx B^-1, noise = sqrt(2 B^-1), d/dx = d_x + 16 d_y.
__attribute__((target("avx2,fma"))) static void coefficients(const double *restrict x, double *restrict drift,
                                                             double *restrict noise) {
    const double tp = 6.283185307179586;
    for (int i = 0; i < N; i++) {
        double y = 16 * x[i];
        double a = tp * y, s = sin(a), B = 2 + s, bx = tp * x[i], cx = cos(bx), px = 1 + 0.5 * cx;
        double c = cos(a), py = 1 + 0.5 * c, p = px * py, b = 1 / B;
        double sx = sin(bx), dpx = 0.5 * (sx * -tp) * py, ip = 1 / p, t1 = dpx * ip;
        double dpy = px * (0.5 * (s * -tp)), t2 = (ip * dpy) * 16, g = t1 + t2;
        double db = -(b * (tp * c)) * b * 16;
        drift[i] = b * g + db;
        noise[i] = sqrt(2 * b);
    }
}

int main(void) {
    static double x[N], d[N], s[N];
    for (int i = 0; i < N; i++) x[i] = (i + 0.5) / N;
    const int rounds = 200000;
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t = now();
        for (int r = 0; r < rounds; r++) { coefficients(x, d, s); x[r % N] += 0.0 * d[r % N]; }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("compiled bench-1d coefficients: %.2f ns per particle (1 thread)\n", best / rounds / N * 1e9);
    return 0;
}
