// The explicit weak order-2.0 step (Kloeden & Platen, Numerical Solution of SDEs, (15.1.3)):
// see hk_weak2_step in include/kernels.h and WeakOrderTwoScheme.swift. Written by hand: no
// library steps an SDE whose coefficients are a compiled tape. The stage arithmetic is cheap
// beside the tape runs, which use the vectorised kernels of kernels.c.
#include "kernels.h"
#include <math.h>

/// Noise matrix entry (r, j) of the tape's last run, or 0 when it is structurally zero:
/// diagonal noise holds sigma_rr at output first + r; a Cholesky factor holds its lower triangle
/// row by row (L11, L21, L22, L31, …) from output first (first = d for the full tape, whose drift
/// comes first; 0 for the noise-only tape).
static const double *noise_entry(const hk_program *p, int32_t first, int32_t r, int32_t j) {
    int32_t index;
    if (p->cholesky) {
        if (j > r) return 0;
        index = first + r * (r + 1) / 2 + j;
    } else {
        if (j != r) return 0;
        index = first + r;
    }
    return p->regs + (int64_t)p->outputs[index] * p->stride;
}

static const double *drift(const hk_program *p, int32_t r) {
    return p->regs + (int64_t)p->outputs[r] * p->stride;
}

/// Runs the tape at the stage point pt (coordinate r at pt + r * S).
static void run_at(const hk_program *p, double *pt, int64_t S, int64_t c) {
    double *table[3];
    for (int32_t r = 0; r < p->dimension; r++) table[r] = pt + r * S;
    hk_load_inputs(p, table, 0, c);
    hk_run_program(p, c);
}

int64_t hk_weak2_step(const hk_program *p, const hk_program *pa, const hk_program *pb, double *const *x,
                      const double *xi, int64_t xi_stride, const double *v, int64_t v_stride, double h, int64_t n,
                      double *scratch) {
    const int32_t d = p->dimension;
    const int64_t S = p->chunk;
    const double sqh = sqrt(h), quarter_over_sqh = 0.25 / sqh;
    double *a0 = scratch;          // a(X): coordinate r at a0 + r*S
    double *s0 = a0 + d * S;       // sigma(X): entry (r, j) at s0 + (r*d + j)*S (zeros included)
    double *acc = s0 + d * d * S;  // the new position, summed term by term
    double *dw = acc + d * S;      // the Wiener increments sqrt(h) xi_j
    double *pt = dw + d * S;       // a stage point
    double *plus = pt + d * S;     // sigma at the "+" stage point: entry (r, j) at plus + (r*d + j)*S
    int64_t bad = 0;
    for (int64_t o = 0; o < n; o += S) {
        const int64_t c = n - o < S ? n - o : S;
        // a and sigma at X.
        hk_load_inputs(p, x, o, c);
        hk_run_program(p, c);
        for (int32_t r = 0; r < d; r++) {
            const double *ar = drift(p, r);
            for (int64_t i = 0; i < c; i++) a0[r * S + i] = ar[i];
            for (int32_t j = 0; j < d; j++) {
                const double *e = noise_entry(p, d, r, j);
                double *out = s0 + (r * d + j) * S;
                for (int64_t i = 0; i < c; i++) out[i] = e ? e[i] : 0.0;
            }
        }
        for (int32_t j = 0; j < d; j++)
            for (int64_t i = 0; i < c; i++) dw[j * S + i] = sqh * xi[j * xi_stride + o + i];
        // Y = X + a h + sum_j b^j dW_j: the drift term (a(Y) + a) h/2.
        for (int32_t r = 0; r < d; r++)
            for (int64_t i = 0; i < c; i++) {
                double s = x[r][o + i] + a0[r * S + i] * h;
                for (int32_t j = 0; j < d; j++) s += s0[(r * d + j) * S + i] * dw[j * S + i];
                pt[r * S + i] = s;
            }
        run_at(pa, pt, S, c);
        for (int32_t r = 0; r < d; r++) {
            const double *ar = drift(pa, r);
            for (int64_t i = 0; i < c; i++) acc[r * S + i] = x[r][o + i] + 0.5 * (ar[i] + a0[r * S + i]) * h;
        }
        // R±_j = X + a h ± b^j sqrt(h): the terms of b^j along itself.
        for (int32_t j = 0; j < d; j++) {
            for (int32_t sign = 0; sign < 2; sign++) {
                const double s = sign == 0 ? sqh : -sqh;
                for (int32_t r = 0; r < d; r++)
                    for (int64_t i = 0; i < c; i++)
                        pt[r * S + i] = x[r][o + i] + a0[r * S + i] * h + s0[(r * d + j) * S + i] * s;
                run_at(pb, pt, S, c);
                for (int32_t r = 0; r < d; r++) {
                    const double *e = noise_entry(pb, 0, r, j);
                    double *bp = plus + (r * d + j) * S;
                    const double *b0 = s0 + (r * d + j) * S, *w = dw + j * S;
                    double *ar = acc + r * S;
                    if (sign == 0) {
                        for (int64_t i = 0; i < c; i++) bp[i] = e ? e[i] : 0.0;
                    } else {
                        for (int64_t i = 0; i < c; i++) {
                            const double bm = e ? e[i] : 0.0;
                            ar[i] += 0.25 * (bp[i] + bm + 2.0 * b0[i]) * w[i]
                                   + (bp[i] - bm) * (w[i] * w[i] - h) * quarter_over_sqh;
                        }
                    }
                }
            }
        }
        // U±_q = X ± b^q sqrt(h): the terms of b^j (j ≠ q) along b^q, with the two-point V_{q,j}.
        for (int32_t q = 0; q < d && d > 1; q++) {
            for (int32_t sign = 0; sign < 2; sign++) {
                const double s = sign == 0 ? sqh : -sqh;
                for (int32_t r = 0; r < d; r++)
                    for (int64_t i = 0; i < c; i++) pt[r * S + i] = x[r][o + i] + s0[(r * d + q) * S + i] * s;
                run_at(pb, pt, S, c);
                for (int32_t j = 0; j < d; j++) {
                    if (j == q) continue;
                    // V_{q,j} = ±h drawn for q > j; V_{q,j} = -V_{j,q} for q < j.
                    const double *vv = q > j ? v + (int64_t)(q * (q - 1) / 2 + j) * v_stride + o
                                             : v + (int64_t)(j * (j - 1) / 2 + q) * v_stride + o;
                    const double vs = q > j ? h : -h;
                    for (int32_t r = 0; r < d; r++) {
                        const double *e = noise_entry(pb, 0, r, j);
                        double *bp = plus + (r * d + j) * S;
                        const double *b0 = s0 + (r * d + j) * S, *w = dw + j * S, *wq = dw + q * S;
                        double *ar = acc + r * S;
                        if (sign == 0) {
                            for (int64_t i = 0; i < c; i++) bp[i] = e ? e[i] : 0.0;
                        } else {
                            for (int64_t i = 0; i < c; i++) {
                                const double bm = e ? e[i] : 0.0;
                                ar[i] += 0.25 * (bp[i] + bm - 2.0 * b0[i]) * w[i]
                                       + (bp[i] - bm) * (w[i] * wq[i] + vs * vv[i]) * quarter_over_sqh;
                            }
                        }
                    }
                }
            }
        }
        for (int32_t r = 0; r < d; r++)
            for (int64_t i = 0; i < c; i++) {
                const double value = acc[r * S + i];
                double w = value - floor(value);
                w = w < 1.0 ? w : 0.0;   // value - floor(value) rounds to 1 for tiny negative values
                bad += !(fabs(value) < 0x1p52);   // NaN, infinite, or no fractional bits left (see kernels.c)
                x[r][o + i] = w;
            }
    }
    return bad;
}
