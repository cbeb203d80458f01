// Array kernels behind the expression tapes (Sources/Homogen/Expressions/Tape.swift), the
// Euler–Maruyama step (Sources/Homogen/Particles/Schemes/EulerMaruyamaScheme.swift) and the
// cyclic tridiagonal solves of the Fokker–Planck solver (Sources/Homogen/GSL/CyclicTridiagonal.swift).
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
/// Fused pairs (codes HK_FUSED + 8 i1 + 2 i2 + side, i1 and i2 in add, sub, mul, div order) read
/// `a`, `b` and `c`: t = a OP1 b, then t OP2 c (side 0) or c OP2 t (side 1), rounded as the two
/// separate instructions would be.
typedef enum {
    HK_NEG = 0, HK_SIN, HK_COS, HK_TAN, HK_EXP, HK_LOG, HK_SQRT, HK_ABS, HK_TANH, HK_FLOOR,
    HK_ADD, HK_SUB, HK_MUL, HK_DIV, HK_POW, HK_MOD, HK_MIN, HK_MAX,
    HK_OP_COUNT,
    HK_FUSED = 32,
    HK_FUSED_COUNT = 32
} hk_op;

/// Runs `count` tape instructions over arrays of length n. Instruction k computes
/// regs[dst[k]] = op[k](regs[a[k]], regs[b[k]] [, regs[c[k]]]); register r lives at base + r * stride.
void hk_run_tape(double *base, int64_t stride, int64_t n, int64_t count,
                 const int32_t *op, const int32_t *dst, const int32_t *a, const int32_t *b, const int32_t *c);

/// The most outputs a program has: d drift entries and d(d+1)/2 noise entries for d = 3.
#define HK_MAX_OUTPUTS 9

/// A compiled coefficient tape (Sources/Homogen/Expressions/Tape.swift) with its registers, as
/// the particle schemes run it on chunks of a block: inputs x_1..x_d in registers 0..d-1 and
/// y_j = scale * x_j in registers d..2d-1; `outputs` lists the registers of the drift (d), then of
/// the noise (d diagonal entries, or, when `cholesky`, the lower triangle of the Cholesky factor
/// row by row: L11, L21, L22, L31, L32, L33). d is 1, 2 or 3.
typedef struct {
    double *regs;          /* register r at regs + r * stride, for up to `chunk` points */
    int64_t stride;
    int64_t chunk;
    int64_t count;         /* instructions */
    const int32_t *op, *dst, *a, *b, *c;
    const int32_t *outputs;
    int32_t dimension;
    int32_t cholesky;
    double scale;          /* 1/epsilon */
} hk_program;

/// Copies x_j[offset ..< offset+n] into the input registers and sets y_j = scale * x_j.
void hk_load_inputs(const hk_program *p, double *const *x, int64_t offset, int64_t n);

/// Runs the program's instructions on the first n points of its registers.
void hk_run_program(const hk_program *p, int64_t n);

/// One Euler–Maruyama step of n particles (positions x[j][i], j < dimension), chunk by chunk:
/// load the inputs, run the tape, then x <- wrap(x + drift*h + noise*sqh*xi) per coordinate
/// (diagonal noise, normals of coordinate j at xi + j*xi_stride), or, for a Cholesky factor,
/// x_r <- wrap(x_r + b_r h + (sum_{j<=r} L_rj xi_j) sqh);
/// wrap(v) = v - floor(v) in [0, 1). Returns the number of non-finite positions produced.
int64_t hk_em_step(const hk_program *p, double *const *x, const double *xi, int64_t xi_stride,
                   double h, double sqh, int64_t n);

/// One explicit weak order-2.0 step (Kloeden & Platen (15.1.3); weak_order_two.c) of n particles,
/// chunk by chunk, for dX = a dt + sum_j b^j dW_j, b^j column j of the tape's noise matrix
/// (diagonal entries, or the lower-triangular Cholesky factor row by row):
///
///     X <- wrap( X + (a(Y) + a) h/2
///               + 1/4 sum_j [ (b^j(R+_j) + b^j(R-_j) + 2 b^j) dW_j
///                             + (b^j(R+_j) - b^j(R-_j)) (dW_j^2 - h) / sqrt(h) ]
///               + 1/4 sum_j sum_{q != j} [ (b^j(U+_q) + b^j(U-_q) - 2 b^j) dW_j
///                             + (b^j(U+_q) - b^j(U-_q)) (dW_j dW_q + V_qj) / sqrt(h) ] ),
///
/// Y = X + a h + sum_j b^j dW_j, R±_j = X + a h ± b^j sqrt(h), U±_q = X ± b^q sqrt(h), all
/// coefficients without an argument at X. dW_j = sqrt(h) xi_j (normals of coordinate j at
/// xi + j*xi_stride); V_qj = h v for q > j and -V_jq for q < j, with the two-point variables
/// v = ±1 of the pair (q, j), q > j, at v + (q(q-1)/2 + j)*v_stride (unused in 1D).
/// `p` is the full tape (drift, then noise), `pa` the drift alone (at Y) and `pb` the noise alone
/// (at R± and U±): the supporting points compute only what the step reads there. All three have
/// the same dimension, noise layout, scale and chunk. `scratch` holds (4d + 2d^2) * chunk doubles.
/// Returns the number of non-finite positions.
int64_t hk_weak2_step(const hk_program *p, const hk_program *pa, const hk_program *pb, double *const *x,
                      const double *xi, int64_t xi_stride, const double *v, int64_t v_stride, double h, int64_t n,
                      double *scratch);

/// out[i] = scale * x[i] (used for y = x / epsilon).
void hk_scale(const double *x, double scale, double *out, int64_t n);

/// 1 when this CPU runs the AVX2+FMA kernels, 0 for the baseline ones.
int hk_uses_avx2(void);

/// out[i] = log(x[i]) (libmvec where available).
void hk_log(const double *x, double *out, int64_t n);

/// Solves, in place, systems s0..s1-1 of a batch of L cyclic tridiagonal systems of size n
/// stored position-major (entry i of system s at i*L + s), from their precomputed banded
/// Cholesky factors (`CyclicTridiagonalBatch` in GSL/CyclicTridiagonal.swift): forward and backward substitution
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
