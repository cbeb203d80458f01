// Array kernels behind the expression tapes (Sources/Homogen/Expressions/Tape.swift)
// and the Euler–Maruyama update (Sources/Homogen/Sampler/EulerMaruyama.swift).
//
// Every kernel works element-wise on arrays of length n. Each exists twice: an AVX2+FMA
// build and a baseline x86-64 (SSE2) build; `hk_select` picks one once, from the CPU, so
// the same binary runs everywhere. The loops are written plainly so that clang vectorises
// them; sin, cos, tan, exp and log map onto glibc's vector math library (libmvec, accurate
// to 4 ulp), because no scalar libm call can be vectorised.
#ifndef HOMOGEN_KERNELS_H
#define HOMOGEN_KERNELS_H

#include <stdint.h>

/// Operation codes of a tape instruction. Unary ops read `a`; binary ops read `a` and `b`.
typedef enum {
    HK_NEG = 0, HK_SIN, HK_COS, HK_TAN, HK_EXP, HK_LOG, HK_SQRT, HK_ABS, HK_TANH, HK_FLOOR,
    HK_ADD, HK_SUB, HK_MUL, HK_DIV, HK_POW, HK_MOD, HK_MIN, HK_MAX,
    HK_OP_COUNT
} hk_op;

/// Runs `count` tape instructions over arrays of length n. Instruction k computes
/// regs[dst[k]] = op[k](regs[a[k]], regs[b[k]]); register r lives at base + r * stride.
void hk_run_tape(double *base, int64_t stride, int64_t n, int64_t count,
                 const int32_t *op, const int32_t *dst, const int32_t *a, const int32_t *b);

/// One Euler–Maruyama step for one coordinate on the unit torus:
/// x <- wrap(x + drift*dt + noise*sqdt*xi), wrap(v) = v - floor(v) in [0, 1).
/// Returns the number of entries that are not finite after the step.
int64_t hk_em_update(double *x, const double *drift, const double *noise, const double *xi,
                     double dt, double sqdt, int64_t n);

/// The same for the second coordinate of a full (Cholesky) 2x2 noise:
/// x <- wrap(x + drift*dt + (l21*xi1 + l22*xi2)*sqdt).
int64_t hk_em_update_cholesky(double *x, const double *drift, const double *l21, const double *xi1,
                              const double *l22, const double *xi2, double dt, double sqdt, int64_t n);

/// out[i] = scale * x[i] (used for y = x / epsilon).
void hk_scale(const double *x, double scale, double *out, int64_t n);

/// 1 when this CPU runs the AVX2+FMA kernels, 0 for the baseline ones.
int hk_uses_avx2(void);



/// out[i] = log(x[i]) (libmvec where available).
void hk_log(const double *x, double *out, int64_t n);

/// Solves, in place, systems s0..s1-1 of a batch of L cyclic tridiagonal systems of size n
/// stored position-major (entry i of system s at i*L + s), from their precomputed banded
/// Cholesky factors (see CyclicTridiagonalBatch.swift): forward and backward substitution
/// x_i = x_i * finv_i - fm_i * x_{i-1}, x_i = x_i * inv_i - bm_i * x_{i+1} (finv = inv times a
/// scale applied to the right-hand side, e.g. the mass matrix), then the
/// Sherman–Morrison correction x -= z * (gamma_s x_0 + corner_s x_{n-1}) * invdenom_s
/// (`factor` is scratch space for L values).
void hk_cyclic_substitute(double *x, const double *finv, const double *inv, const double *fm, const double *bm,
                          const double *z, const double *gamma, const double *corner,
                          const double *invdenom, double *factor, int64_t n, int64_t L, int64_t s0, int64_t s1);

/// Forward and backward substitution for one tridiagonal matrix made of two independent
/// blocks, rows 0..m-1 and m..n-1 (banded Cholesky factors as in hk_cyclic_substitute, with
/// fm[m] = 0 and bm[m-1] = 0): the two blocks' recurrences are interleaved, so the processor
/// runs both dependency chains at once.
void hk_two_block_substitute(double *x, const double *finv, const double *inv, const double *fm,
                             const double *bm, int64_t n, int64_t m);

#endif
