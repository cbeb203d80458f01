// Array kernels: see include/kernels.h. Each kernel body is written once, as a macro,
// and instantiated for two instruction sets; hk_select() picks one set per process.
#include "kernels.h"
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma")))

#define UNARY(name, expr)                                                          \
    static void name(const double *restrict a, double *restrict r, int64_t n) {    \
        for (int64_t i = 0; i < n; i++) { double x = a[i]; r[i] = (expr); }        \
    }
#define BINARY(name, expr)                                                         \
    static void name(const double *restrict a, const double *restrict b,           \
                     double *restrict r, int64_t n) {                              \
        for (int64_t i = 0; i < n; i++) { double x = a[i], y = b[i]; r[i] = (expr); } \
    }

// Floored modulo, as in the scenario language: mod(x, y) = x - y*floor(x/y).
#define KERNEL_SET(SUFFIX, ATTR)                                                   \
    ATTR UNARY(neg_##SUFFIX, -x)                                                   \
    ATTR UNARY(sin_##SUFFIX, sin(x))                                               \
    ATTR UNARY(cos_##SUFFIX, cos(x))                                               \
    ATTR UNARY(tan_##SUFFIX, tan(x))                                               \
    ATTR UNARY(exp_##SUFFIX, exp(x))                                               \
    ATTR UNARY(log_##SUFFIX, log(x))                                               \
    ATTR UNARY(sqrt_##SUFFIX, sqrt(x))                                             \
    ATTR UNARY(abs_##SUFFIX, fabs(x))                                              \
    ATTR UNARY(tanh_##SUFFIX, tanh(x))                                             \
    ATTR UNARY(floor_##SUFFIX, floor(x))                                           \
    ATTR BINARY(add_##SUFFIX, x + y)                                               \
    ATTR BINARY(sub_##SUFFIX, x - y)                                               \
    ATTR BINARY(mul_##SUFFIX, x * y)                                               \
    ATTR BINARY(div_##SUFFIX, x / y)                                               \
    ATTR BINARY(pow_##SUFFIX, pow(x, y))                                           \
    ATTR BINARY(mod_##SUFFIX, x - y * floor(x / y))                                \
    ATTR BINARY(min_##SUFFIX, x < y ? x : y)                                       \
    ATTR BINARY(max_##SUFFIX, x > y ? x : y)                                       \
    ATTR static int64_t em_##SUFFIX(double *restrict x, const double *restrict d,  \
                                    const double *restrict s, const double *restrict xi, \
                                    double dt, double sqdt, int64_t n) {           \
        int64_t bad = 0;                                                           \
        for (int64_t i = 0; i < n; i++) {                                          \
            double v = x[i] + d[i] * dt + s[i] * sqdt * xi[i];                     \
            double w = v - floor(v);                                               \
            w = w < 1.0 ? w : 0.0; /* v - floor(v) rounds to 1 for tiny negative v */ \
            bad += (v - v != 0.0); /* NaN or infinity */                           \
            x[i] = w;                                                              \
        }                                                                          \
        return bad;                                                                \
    }                                                                              \
    ATTR static int64_t emc_##SUFFIX(double *restrict x, const double *restrict d, \
                                     const double *restrict l21, const double *restrict xi1, \
                                     const double *restrict l22, const double *restrict xi2, \
                                     double dt, double sqdt, int64_t n) {          \
        int64_t bad = 0;                                                           \
        for (int64_t i = 0; i < n; i++) {                                          \
            double v = x[i] + d[i] * dt + (l21[i] * xi1[i] + l22[i] * xi2[i]) * sqdt; \
            double w = v - floor(v);                                               \
            w = w < 1.0 ? w : 0.0;                                                 \
            bad += (v - v != 0.0);                                                 \
            x[i] = w;                                                              \
        }                                                                          \
        return bad;                                                                \
    }                                                                              \
    ATTR static void scale_##SUFFIX(const double *restrict x, double c,            \
                                    double *restrict r, int64_t n) {               \
        for (int64_t i = 0; i < n; i++) r[i] = c * x[i];                           \
    }

KERNEL_SET(avx2, AVX2)
KERNEL_SET(base, )

typedef void (*unary_fn)(const double *, double *, int64_t);
typedef void (*binary_fn)(const double *, const double *, double *, int64_t);
typedef int64_t (*em_fn)(double *, const double *, const double *, const double *, double, double, int64_t);
typedef int64_t (*emc_fn)(double *, const double *, const double *, const double *, const double *,
                          const double *, double, double, int64_t);
typedef void (*scale_fn)(const double *, double, double *, int64_t);

typedef struct {
    unary_fn unary[HK_ADD];
    binary_fn binary[HK_OP_COUNT - HK_ADD];
    em_fn em;
    emc_fn emc;
    scale_fn scale;
} kernel_set;

#define SET(S)                                                                     \
    { { neg_##S, sin_##S, cos_##S, tan_##S, exp_##S, log_##S, sqrt_##S, abs_##S,   \
        tanh_##S, floor_##S },                                                     \
      { add_##S, sub_##S, mul_##S, div_##S, pow_##S, mod_##S, min_##S, max_##S },  \
      em_##S, emc_##S, scale_##S }

static const kernel_set set_avx2 = SET(avx2);
static const kernel_set set_base = SET(base);

static const kernel_set *hk_select(void) {
    static const kernel_set *chosen = 0;
    if (!chosen) {
        __builtin_cpu_init();
        // A benign race: every thread would store the same pointer.
        chosen = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? &set_avx2 : &set_base;
    }
    return chosen;
}

int hk_uses_avx2(void) { return hk_select() == &set_avx2; }

void hk_run_tape(double *base, int64_t stride, int64_t n, int64_t count,
                 const int32_t *op, const int32_t *dst, const int32_t *a, const int32_t *b) {
    const kernel_set *k = hk_select();
    for (int64_t i = 0; i < count; i++) {
        double *r = base + (int64_t)dst[i] * stride;
        const double *x = base + (int64_t)a[i] * stride;
        if (op[i] < HK_ADD) {
            k->unary[op[i]](x, r, n);
        } else {
            const double *y = base + (int64_t)b[i] * stride;
            k->binary[op[i] - HK_ADD](x, y, r, n);
        }
    }
}

int64_t hk_em_update(double *x, const double *drift, const double *noise, const double *xi,
                     double dt, double sqdt, int64_t n) {
    return hk_select()->em(x, drift, noise, xi, dt, sqdt, n);
}

int64_t hk_em_update_cholesky(double *x, const double *drift, const double *l21, const double *xi1,
                              const double *l22, const double *xi2, double dt, double sqdt, int64_t n) {
    return hk_select()->emc(x, drift, l21, xi1, l22, xi2, dt, sqdt, n);
}

void hk_scale(const double *x, double scale, double *out, int64_t n) {
    hk_select()->scale(x, scale, out, n);
}
