// The few MPI calls homogen-mpi makes, as functions Swift can call (MPI_COMM_WORLD and the
// datatype handles are macros that Swift cannot import). Built only with HOMOGEN_MPI=1.
#include <mpi.h>
#include <stdint.h>

static inline int hmpi_init(void) { return MPI_Init(NULL, NULL); }
static inline int hmpi_finalize(void) { return MPI_Finalize(); }
static inline int hmpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static inline int hmpi_size(void) { int s = 1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }
static inline int hmpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }

/// Sums n doubles over all ranks into `out` on rank 0.
static inline int hmpi_reduce_sum(const double *in, double *out, int64_t n) {
    return MPI_Reduce(in, out, (int)n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
}

/// The maximum of one double over all ranks, on rank 0.
static inline int hmpi_reduce_max(double in, double *out) {
    return MPI_Reduce(&in, out, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
}

/// Gathers variable-length double arrays on rank 0 in rank order.
static inline int hmpi_gatherv(const double *in, int count, double *out, const int *counts, const int *displs) {
    return MPI_Gatherv(in, count, MPI_DOUBLE, out, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD);
}

/// Broadcasts n doubles from rank 0 to every rank.
static inline int hmpi_bcast(double *x, int64_t n) {
    return MPI_Bcast(x, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
}
