// Cost of sin and cos of the same arguments, as the coefficient tape meets them (bench-1d: sin
// and cos of 2*pi*x and of 2*pi*x/eps), over cache-resident chunks of 256 doubles, one thread:
//   libmvec sin, then libmvec cos (what the tape runs: two vector kernels),
//   libmvec's paired sincos (_ZGVdN4vvv_sincos: one call, pointers per lane),
//   SLEEF's sincos, 1.0 and 3.5 ulp (when built with -DHAVE_SLEEF and -lsleef).
// Prints ns per argument (both functions) and the largest difference from the first variant.
// Build: gcc -O2 -mavx2 -mfma [-DHAVE_SLEEF] trig_pairs.c -lmvec -lm [-lsleef]
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#ifdef HAVE_SLEEF
#include <sleef.h>
#endif
#define N 256
__m256d _ZGVdN4v_sin(__m256d);
__m256d _ZGVdN4v_cos(__m256d);
void _ZGVdN4vvv_sincos(__m256d, __m256i, __m256i);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

static void separate(const double *x, double *s, double *c) {
    for (int i = 0; i < N; i += 4) _mm256_storeu_pd(s + i, _ZGVdN4v_sin(_mm256_loadu_pd(x + i)));
    for (int i = 0; i < N; i += 4) _mm256_storeu_pd(c + i, _ZGVdN4v_cos(_mm256_loadu_pd(x + i)));
}
static void paired(const double *x, double *s, double *c) {
    __m256i step = _mm256_set1_epi64x(4 * sizeof(double));
    __m256i ps = _mm256_set_epi64x((int64_t)(s + 3), (int64_t)(s + 2), (int64_t)(s + 1), (int64_t)s);
    __m256i pc = _mm256_set_epi64x((int64_t)(c + 3), (int64_t)(c + 2), (int64_t)(c + 1), (int64_t)c);
    for (int i = 0; i < N; i += 4) {
        _ZGVdN4vvv_sincos(_mm256_loadu_pd(x + i), ps, pc);
        ps = _mm256_add_epi64(ps, step); pc = _mm256_add_epi64(pc, step);
    }
}
#ifdef HAVE_SLEEF
static void sleef10(const double *x, double *s, double *c) {
    for (int i = 0; i < N; i += 4) { Sleef___m256d_2 r = Sleef_sincosd4_u10avx2(_mm256_loadu_pd(x + i)); _mm256_storeu_pd(s + i, r.x); _mm256_storeu_pd(c + i, r.y); }
}
static void sleef35(const double *x, double *s, double *c) {
    for (int i = 0; i < N; i += 4) { Sleef___m256d_2 r = Sleef_sincosd4_u35avx2(_mm256_loadu_pd(x + i)); _mm256_storeu_pd(s + i, r.x); _mm256_storeu_pd(c + i, r.y); }
}
#endif

typedef void (*variant)(const double *, double *, double *);

int main(void) {
    static double x[N], s0[N], c0[N], s[N], c[N];
    // Arguments 2*pi*16*u for u spread over [0, 1): those of sin(2*pi*y), y = x/eps, eps = 1/16.
    for (int i = 0; i < N; i++) { double u = i * 0.6180339887498949; x[i] = 2 * M_PI * 16 * (u - floor(u)); }
    variant v[] = { separate, paired,
#ifdef HAVE_SLEEF
                    sleef10, sleef35,
#endif
    };
    const char *name[] = { "libmvec sin + cos (the tape)", "libmvec sincos (paired)",
#ifdef HAVE_SLEEF
                           "SLEEF sincos, 1.0 ulp", "SLEEF sincos, 3.5 ulp",
#endif
    };
    separate(x, s0, c0);
    const int rounds = 200000;
    for (unsigned k = 0; k < sizeof v / sizeof v[0]; k++) {
        double best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t = now();
            for (int r = 0; r < rounds; r++) { v[k](x, s, c); x[r % N] += 0.0 * s[r % N]; }
            t = now() - t;
            if (t < best) best = t;
        }
        double diff = 0; int differing = 0;
        for (int i = 0; i < N; i++) {
            double e = fmax(fabs(s[i] - s0[i]), fabs(c[i] - c0[i]));
            diff = fmax(diff, e); differing += e != 0;
        }
        printf("%-30s %5.2f ns per argument (sin and cos), max |difference| %.1e in %d of %d arguments\n",
               name[k], best / rounds / N * 1e9, diff, differing, N);
    }
    return 0;
}
