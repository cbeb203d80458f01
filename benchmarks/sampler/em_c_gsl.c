/* The "write it yourself in C" baseline for scripts/bench-sampler.sh: one thread, GSL taus2 +
 * ziggurat normals, Euler–Maruyama for the backward-Itô SDE of the bench scenarios
 * (scenarios/bench-1d.toml, bench-2d.toml: eps = 1/16, dt = 1e-5) with the drift written out:
 *   drift = B^{-1} d/dx log pi_eps + d/dx B_eps^{-1},  noise = sqrt(2 B^{-1}),  x <- x - floor(x).
 * Usage: em_c_gsl DIM PARTICLES STEPS   (prints ns_per_particle_step=...) */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N_EPS 16.0
#define H 1e-5
#define TWO_PI 6.283185307179586

static double wrap(double v) { return v - floor(v); }

/* B(y) = 2 + sin 2πy, π = (1 + cos(2πx)/2)(1 + cos(2πy)/2). */
static void steps_1d(double *x, long n, long steps, gsl_rng *rng) {
    const double root_h = sqrt(H);
    for (long s = 0; s < steps; s++)
        for (long i = 0; i < n; i++) {
            double a = TWO_PI * x[i], b = TWO_PI * x[i] * N_EPS;
            double inv_b = 1.0 / (2.0 + sin(b));
            double d_log_pi = -0.5 * TWO_PI * sin(a) / (1.0 + 0.5 * cos(a))
                              - N_EPS * 0.5 * TWO_PI * sin(b) / (1.0 + 0.5 * cos(b));
            double d_inv_b = -N_EPS * TWO_PI * cos(b) * inv_b * inv_b;
            double xi = gsl_ran_gaussian_ziggurat(rng, 1.0);
            x[i] = wrap(x[i] + (inv_b * d_log_pi + d_inv_b) * H + sqrt(2.0 * inv_b) * root_h * xi);
        }
}

/* B(y) = diag(2 + sin 2πy1, 2 + cos 2πy2), π = Π_k (1 + cos(2πx_k)/2) · (1 + cos(2πy1) cos(2πy2)/2). */
static void steps_2d(double *x, long n, long steps, gsl_rng *rng) {
    const double root_h = sqrt(H);
    for (long s = 0; s < steps; s++)
        for (long i = 0; i < n; i++) {
            double *p = x + 2 * i;
            double a1 = TWO_PI * p[0], a2 = TWO_PI * p[1], b1 = a1 * N_EPS, b2 = a2 * N_EPS;
            double sb1 = sin(b1), cb1 = cos(b1), sb2 = sin(b2), cb2 = cos(b2);
            double inv1 = 1.0 / (2.0 + sb1), inv2 = 1.0 / (2.0 + cb2);
            double fast = 1.0 + 0.5 * cb1 * cb2;
            double g1 = -0.5 * TWO_PI * sin(a1) / (1.0 + 0.5 * cos(a1)) - N_EPS * 0.5 * TWO_PI * sb1 * cb2 / fast;
            double g2 = -0.5 * TWO_PI * sin(a2) / (1.0 + 0.5 * cos(a2)) - N_EPS * 0.5 * TWO_PI * cb1 * sb2 / fast;
            double d1 = -N_EPS * TWO_PI * cb1 * inv1 * inv1, d2 = N_EPS * TWO_PI * sb2 * inv2 * inv2;
            double xi1 = gsl_ran_gaussian_ziggurat(rng, 1.0), xi2 = gsl_ran_gaussian_ziggurat(rng, 1.0);
            p[0] = wrap(p[0] + (inv1 * g1 + d1) * H + sqrt(2.0 * inv1) * root_h * xi1);
            p[1] = wrap(p[1] + (inv2 * g2 + d2) * H + sqrt(2.0 * inv2) * root_h * xi2);
        }
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s DIM PARTICLES STEPS\n", argv[0]); return 64; }
    int dim = atoi(argv[1]);
    long n = atol(argv[2]), steps = atol(argv[3]);
    if ((dim != 1 && dim != 2) || n < 1 || steps < 1) { fprintf(stderr, "bad arguments\n"); return 64; }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 2024);
    double *x = malloc(sizeof(double) * n * dim);
    for (long i = 0; i < n * dim; i++) x[i] = gsl_rng_uniform(rng);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    (dim == 1 ? steps_1d : steps_2d)(x, n, steps, rng);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec), mean = 0;
    for (long i = 0; i < n * dim; i++) mean += x[i] / (double)(n * dim);
    printf("c-gsl dim=%d particles=%ld steps=%ld mean=%.4f ns_per_particle_step=%.2f\n", dim, n, steps, mean,
           1e9 * sec / ((double)n * (double)steps));
    free(x);
    gsl_rng_free(rng);
    return 0;
}
