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

// The end of every Euler–Maruyama update: x[i] <- wrap(v) = v - floor(v) in [0, 1) (v - floor(v)
// rounds to 1 for tiny negative v, hence the second line), counting in `bad` a v that is NaN,
// infinite, or of size 2^52 or more: there a double has no fractional bits left and the wrapped
// position would be 0 whatever the particle did (`!(fabs(v) < 0x1p52)` is true for NaN too).
#define EM_STORE(v)                                                                \
    {                                                                              \
        double w = (v) - floor(v);                                                 \
        w = w < 1.0 ? w : 0.0;                                                     \
        bad += !(fabs(v) < 0x1p52);                                                \
        x[i] = w;                                                                  \
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
            EM_STORE(v)                                                            \
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
            EM_STORE(v)                                                            \
        }                                                                          \
        return bad;                                                                \
    }                                                                              \
    ATTR static int64_t emc3_##SUFFIX(double *restrict x, const double *restrict d, \
                                      const double *restrict l31, const double *restrict xi1, \
                                      const double *restrict l32, const double *restrict xi2, \
                                      const double *restrict l33, const double *restrict xi3, \
                                      double dt, double sqdt, int64_t n) {         \
        int64_t bad = 0;                                                           \
        for (int64_t i = 0; i < n; i++) {                                          \
            double v = x[i] + d[i] * dt + (l31[i] * xi1[i] + l32[i] * xi2[i] + l33[i] * xi3[i]) * sqdt; \
            EM_STORE(v)                                                            \
        }                                                                          \
        return bad;                                                                \
    }                                                                              \
    ATTR static void scale_##SUFFIX(const double *restrict x, double c,            \
                                    double *restrict r, int64_t n) {               \
        for (int64_t i = 0; i < n; i++) r[i] = c * x[i];                           \
    }

KERNEL_SET(avx2, AVX2)
KERNEL_SET(base, )

// Fused pairs t = x OP1 y, then r = t OP2 z (side 0) or r = z OP2 t (side 1): one pass over the
// chunk instead of two, with t kept in a register. Contraction into FMA is off, so every result
// rounds exactly as the two separate instructions would (bit-identical to the unfused tape).
#define FUSED_ONE(SUFFIX, ATTR, NAME, E1, E2)                                      \
    ATTR static void NAME##_##SUFFIX(const double *restrict a, const double *restrict b, \
                                     const double *restrict c, double *restrict r, int64_t n) { \
        _Pragma("clang fp contract(off)")                                          \
        for (int64_t i = 0; i < n; i++) {                                          \
            double x = a[i], y = b[i], z = c[i];                                   \
            double t = E1;                                                         \
            r[i] = E2;                                                             \
        }                                                                          \
    }
#define FUSED_SIDES(SUFFIX, ATTR, N1, E1, N2, O2)                                  \
    FUSED_ONE(SUFFIX, ATTR, f_##N1##_##N2##_0, E1, t O2 z)                         \
    FUSED_ONE(SUFFIX, ATTR, f_##N1##_##N2##_1, E1, z O2 t)
#define FUSED_SECOND(SUFFIX, ATTR, N1, E1)                                         \
    FUSED_SIDES(SUFFIX, ATTR, N1, E1, add, +) FUSED_SIDES(SUFFIX, ATTR, N1, E1, sub, -) \
    FUSED_SIDES(SUFFIX, ATTR, N1, E1, mul, *) FUSED_SIDES(SUFFIX, ATTR, N1, E1, div, /)
#define FUSED_SET(SUFFIX, ATTR)                                                    \
    FUSED_SECOND(SUFFIX, ATTR, add, x + y) FUSED_SECOND(SUFFIX, ATTR, sub, x - y)  \
    FUSED_SECOND(SUFFIX, ATTR, mul, x * y) FUSED_SECOND(SUFFIX, ATTR, div, x / y)

FUSED_SET(avx2, AVX2)
FUSED_SET(base, )

#define SUBSTITUTE(SUFFIX, ATTR)                                                   \
    ATTR static void subst_##SUFFIX(double *restrict x, const double *restrict finv, const double *restrict inv, \
                                    const double *restrict fm, const double *restrict bm, \
                                    const double *restrict z, const double *restrict gamma, \
                                    const double *restrict corner, const double *restrict invdenom, \
                                    double *restrict factor,                       \
                                    int64_t n, int64_t L, int64_t s0, int64_t s1) {  \
        if (L == 1) { /* one system: plain recurrences, one FMA on the critical path */ \
            double v = x[0] * finv[0];                                             \
            x[0] = v;                                                              \
            for (int64_t i = 1; i < n; i++) { v = x[i] * finv[i] - fm[i] * v; x[i] = v; } \
            v = x[n - 1] * inv[n - 1];                                             \
            x[n - 1] = v;                                                          \
            for (int64_t i = n - 2; i >= 0; i--) { v = x[i] * inv[i] - bm[i] * v; x[i] = v; } \
            double f = (gamma[0] * x[0] + corner[0] * x[n - 1]) * invdenom[0];     \
            for (int64_t i = 0; i < n; i++) x[i] -= z[i] * f;                      \
            return;                                                                \
        }                                                                          \
        for (int64_t s = s0; s < s1; s++) x[s] *= finv[s];                         \
        for (int64_t i = 1; i < n; i++) {                                          \
            double *row = x + i * L; const double *prev = row - L;                 \
            const double *iv = finv + i * L, *m = fm + i * L;                      \
            for (int64_t s = s0; s < s1; s++) row[s] = row[s] * iv[s] - m[s] * prev[s]; \
        }                                                                          \
        double *last = x + (n - 1) * L;                                            \
        for (int64_t s = s0; s < s1; s++) last[s] *= inv[(n - 1) * L + s];         \
        for (int64_t i = n - 2; i >= 0; i--) {                                     \
            double *row = x + i * L; const double *next = row + L;                 \
            const double *iv = inv + i * L, *m = bm + i * L;                       \
            for (int64_t s = s0; s < s1; s++) row[s] = row[s] * iv[s] - m[s] * next[s]; \
        }                                                                          \
        for (int64_t s = s0; s < s1; s++)                                          \
            factor[s] = (gamma[s] * x[s] + corner[s] * last[s]) * invdenom[s];     \
        for (int64_t i = 0; i < n; i++) {                                          \
            double *row = x + i * L; const double *zr = z + i * L;                 \
            for (int64_t s = s0; s < s1; s++) row[s] -= zr[s] * factor[s];         \
        }                                                                          \
    }

#define TWO_BLOCK(SUFFIX, ATTR)                                                    \
    ATTR static void twoblock_##SUFFIX(double *restrict x, const double *restrict finv, \
                                       const double *restrict inv, const double *restrict fm, \
                                       const double *restrict bm, int64_t n, int64_t m) { \
        int64_t n2 = n - m; /* n2 >= m */                                          \
        double *y = x + m; const double *fi2 = finv + m, *fm2 = fm + m;            \
        double v1 = x[0] * finv[0], v2 = y[0] * fi2[0];                            \
        x[0] = v1; y[0] = v2;                                                      \
        for (int64_t i = 1; i < m; i++) {                                          \
            v1 = x[i] * finv[i] - fm[i] * v1; x[i] = v1;                           \
            v2 = y[i] * fi2[i] - fm2[i] * v2; y[i] = v2;                           \
        }                                                                          \
        for (int64_t i = m; i < n2; i++) { v2 = y[i] * fi2[i] - fm2[i] * v2; y[i] = v2; } \
        const double *iv2 = inv + m, *bm2 = bm + m;                                \
        v2 = y[n2 - 1] * iv2[n2 - 1]; y[n2 - 1] = v2;                              \
        for (int64_t i = n2 - 2; i >= m - 1; i--) { v2 = y[i] * iv2[i] - bm2[i] * v2; y[i] = v2; } \
        v1 = x[m - 1] * inv[m - 1]; x[m - 1] = v1;                                 \
        for (int64_t i = m - 2; i >= 0; i--) {                                     \
            v1 = x[i] * inv[i] - bm[i] * v1; x[i] = v1;                            \
            v2 = y[i] * iv2[i] - bm2[i] * v2; y[i] = v2;                           \
        }                                                                          \
    }

TWO_BLOCK(avx2, AVX2)
TWO_BLOCK(base, )

SUBSTITUTE(avx2, AVX2)
SUBSTITUTE(base, )

typedef void (*unary_fn)(const double *, double *, int64_t);
typedef void (*binary_fn)(const double *, const double *, double *, int64_t);
typedef int64_t (*em_fn)(double *, const double *, const double *, const double *, double, double, int64_t);
typedef int64_t (*emc_fn)(double *, const double *, const double *, const double *, const double *,
                          const double *, double, double, int64_t);
typedef int64_t (*emc3_fn)(double *, const double *, const double *, const double *, const double *,
                           const double *, const double *, const double *, double, double, int64_t);
typedef void (*scale_fn)(const double *, double, double *, int64_t);
typedef void (*fused_fn)(const double *, const double *, const double *, double *, int64_t);

typedef struct {
    unary_fn unary[HK_ADD];
    binary_fn binary[HK_OP_COUNT - HK_ADD];
    fused_fn fused[HK_FUSED_COUNT];
    em_fn em;
    emc_fn emc;
    emc3_fn emc3;
    scale_fn scale;
} kernel_set;

#define FUSED_ROW(S, N1)                                                           \
    f_##N1##_add_0_##S, f_##N1##_add_1_##S, f_##N1##_sub_0_##S, f_##N1##_sub_1_##S, \
    f_##N1##_mul_0_##S, f_##N1##_mul_1_##S, f_##N1##_div_0_##S, f_##N1##_div_1_##S
#define SET(S)                                                                     \
    { { neg_##S, sin_##S, cos_##S, tan_##S, exp_##S, log_##S, sqrt_##S, abs_##S,   \
        tanh_##S, floor_##S },                                                     \
      { add_##S, sub_##S, mul_##S, div_##S, pow_##S, mod_##S, min_##S, max_##S },  \
      { FUSED_ROW(S, add), FUSED_ROW(S, sub), FUSED_ROW(S, mul), FUSED_ROW(S, div) }, \
      em_##S, emc_##S, emc3_##S, scale_##S }

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

static void run_tape(const kernel_set *k, double *base, int64_t stride, int64_t n, int64_t count,
                     const int32_t *op, const int32_t *dst, const int32_t *a, const int32_t *b, const int32_t *c) {
    for (int64_t i = 0; i < count; i++) {
        double *r = base + (int64_t)dst[i] * stride;
        const double *x = base + (int64_t)a[i] * stride;
        if (op[i] < HK_ADD) {
            k->unary[op[i]](x, r, n);
        } else if (op[i] < HK_OP_COUNT) {
            const double *y = base + (int64_t)b[i] * stride;
            k->binary[op[i] - HK_ADD](x, y, r, n);
        } else {
            const double *y = base + (int64_t)b[i] * stride, *z = base + (int64_t)c[i] * stride;
            k->fused[op[i] - HK_FUSED](x, y, z, r, n);
        }
    }
}

void hk_run_tape(double *base, int64_t stride, int64_t n, int64_t count,
                 const int32_t *op, const int32_t *dst, const int32_t *a, const int32_t *b, const int32_t *c) {
    run_tape(hk_select(), base, stride, n, count, op, dst, a, b, c);
}

void hk_load_inputs(const hk_program *p, double *const *x, int64_t offset, int64_t n) {
    const kernel_set *k = hk_select();
    for (int32_t j = 0; j < p->dimension; j++) {
        double *xr = p->regs + (int64_t)j * p->stride, *yr = p->regs + (int64_t)(p->dimension + j) * p->stride;
        for (int64_t i = 0; i < n; i++) xr[i] = x[j][offset + i];
        k->scale(xr, p->scale, yr, n);
    }
}

void hk_run_program(const hk_program *p, int64_t n) {
    run_tape(hk_select(), p->regs, p->stride, n, p->count, p->op, p->dst, p->a, p->b, p->c);
}

int64_t hk_em_step(const hk_program *p, double *const *x, const double *xi, int64_t xi_stride,
                   double h, double sqh, int64_t n) {
    const kernel_set *k = hk_select();
    const int32_t d = p->dimension;
    int64_t bad = 0;
    for (int64_t o = 0; o < n; o += p->chunk) {
        int64_t c = n - o < p->chunk ? n - o : p->chunk;
        hk_load_inputs(p, x, o, c);
        run_tape(k, p->regs, p->stride, c, p->count, p->op, p->dst, p->a, p->b, p->c);
        const double *out[HK_MAX_OUTPUTS];
        for (int32_t j = 0; j < d + (p->cholesky ? d * (d + 1) / 2 : d); j++) out[j] = p->regs + (int64_t)p->outputs[j] * p->stride;
        if (p->cholesky) {
            // Row r of L (from output d + r(r+1)/2) times the normals xi_0..xi_r.
            const double *const *l = out + d;
            bad += k->em(x[0] + o, out[0], l[0], xi + o, h, sqh, c);
            bad += k->emc(x[1] + o, out[1], l[1], xi + o, l[2], xi + xi_stride + o, h, sqh, c);
            if (d == 3)
                bad += k->emc3(x[2] + o, out[2], l[3], xi + o, l[4], xi + xi_stride + o, l[5], xi + 2 * xi_stride + o, h, sqh, c);
        } else {
            for (int32_t j = 0; j < d; j++) bad += k->em(x[j] + o, out[j], out[d + j], xi + j * xi_stride + o, h, sqh, c);
        }
    }
    return bad;
}

void hk_scale(const double *x, double scale, double *out, int64_t n) {
    hk_select()->scale(x, scale, out, n);
}

void hk_log(const double *x, double *out, int64_t n) {
    hk_select()->unary[HK_LOG](x, out, n);
}

void hk_cyclic_substitute(double *x, const double *finv, const double *inv, const double *fm, const double *bm,
                          const double *z, const double *gamma, const double *corner,
                          const double *invdenom, double *factor, int64_t n, int64_t L, int64_t s0, int64_t s1) {
    if (hk_select() == &set_avx2) subst_avx2(x, finv, inv, fm, bm, z, gamma, corner, invdenom, factor, n, L, s0, s1);
    else subst_base(x, finv, inv, fm, bm, z, gamma, corner, invdenom, factor, n, L, s0, s1);
}

void hk_two_block_substitute(double *x, const double *finv, const double *inv, const double *fm,
                             const double *bm, int64_t n, int64_t m) {
    if (hk_select() == &set_avx2) twoblock_avx2(x, finv, inv, fm, bm, n, m);
    else twoblock_base(x, finv, inv, fm, bm, n, m);
}
