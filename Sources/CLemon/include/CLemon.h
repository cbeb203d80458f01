#ifndef CLEMON_H
#define CLEMON_H
// C interface to LEMON's network simplex (liblemon-dev) for the dense transportation problem;
// the implementation (transport.cpp) is the only C++ in homogen.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status of `clemon_transport`.
enum {
    CLEMON_OPTIMAL = 0,
    CLEMON_INFEASIBLE = 1,
    CLEMON_UNBOUNDED = 2,
    CLEMON_OUT_OF_MEMORY = 3,
    CLEMON_BAD_INPUT = 4,
};

/// Solves min sum_ij cost[i*m + j] x_ij over x >= 0 with row sums `supply` (n entries) and column
/// sums `demand` (m entries), integers with equal totals, by LEMON's NetworkSimplex (block-search
/// pivots) on the complete bipartite graph. Writes the optimal value to `total` and, when
/// `potential_rows`/`potential_columns` are not NULL, optimal dual potentials u, v with
/// cost[i*m+j] - u_i - v_j >= 0 up to rounding (the sum of u_i*supply_i + v_j*demand_j equals
/// `total`). Returns one of the CLEMON_* codes; never throws.
int clemon_transport(int32_t n, int32_t m, const int64_t *supply, const int64_t *demand,
                     const double *cost, double *total, double *potential_rows, double *potential_columns);

#ifdef __cplusplus
}
#endif
#endif
