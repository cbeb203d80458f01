// The dense transportation problem through LEMON's NetworkSimplex (the algorithm POT's emd derives
// from). The complete bipartite graph is a StaticDigraph built from an arc list generated on the fly
// (no n*m array of pairs); arc k = i*m + j joins row i to column n + j, so the costs are read straight
// from the row-major matrix.
#include "CLemon.h"

#include <cmath>
#include <cstddef>
#include <iterator>
#include <new>
#include <utility>

#include <lemon/network_simplex.h>
#include <lemon/static_graph.h>

namespace {

/// Random-access iterator over the arcs (i, n + j) of K_{n,m}, in row-major order.
struct BipartiteArcs {
    using iterator_category = std::random_access_iterator_tag;
    using value_type = std::pair<int, int>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type *;
    using reference = value_type;
    long long k;
    int n, m;
    value_type operator*() const { return value_type(int(k / m), n + int(k % m)); }
    BipartiteArcs &operator++() { ++k; return *this; }
    bool operator==(const BipartiteArcs &o) const { return k == o.k; }
    bool operator!=(const BipartiteArcs &o) const { return k != o.k; }
    difference_type operator-(const BipartiteArcs &o) const { return difference_type(k - o.k); }
};

using Graph = lemon::StaticDigraph;

/// The costs as LEMON sees them: each snapped to a multiple of a power of two `quantum`, chosen so
/// that every cost, and every potential and reduced cost the simplex forms from them (sums of at
/// most the node count of costs, and its artificial cost (max + 1) x nodes), is an exact double.
/// With the costs as given, round-off in the potentials leaves reduced costs of +-1e-17 where
/// they are 0, and on degenerate problems (grids of equal distances) the block-search pivots then
/// cycled without end (a 12 x 12 cell-centre problem in `compare`). The plan found is optimal for
/// the snapped costs; the value is summed from it with the costs as given (`solve`), so it
/// differs from the exact optimum by at most one quantum (2^-36 of the largest cost for 10^4
/// nodes), and not at all where the optimal plan is unique.
struct CostMap {
    const Graph &g;
    const double *cost;
    double quantum;
    typedef Graph::Arc Key;
    typedef double Value;
    double operator[](const Graph::Arc &a) const {
        double c = cost[g.id(a)];
        return quantum > 0 ? std::nearbyint(c / quantum) * quantum : c;
    }
};

/// The power of two for `CostMap`: the largest |cost| spans 2^bits quanta, bits = 50 minus the
/// bits of the node count (at least 20), and 1 is a whole number of quanta (LEMON adds it in its
/// artificial cost). 0 (no snapping) for an all-zero or vanishingly small cost matrix.
double costQuantum(const double *cost, long long count, int nodes) {
    double largest = 0;
    for (long long k = 0; k < count; ++k) largest = std::fmax(largest, std::fabs(cost[k]));
    if (!(largest > 0x1p-900)) return 0;
    int bits = 50 - int(std::ceil(std::log2(double(nodes))));
    if (bits < 20) bits = 20;
    int exponent = int(std::ceil(std::log2(std::fmax(largest, 1.0))));
    return std::ldexp(1.0, exponent - bits);
}

template <typename V>
struct SupplyMap {
    const Graph &g;
    int n;
    const int64_t *supply, *demand;
    typedef Graph::Node Key;
    typedef V Value;
    V operator[](const Graph::Node &v) const {
        int id = g.id(v);
        return id < n ? V(supply[id]) : -V(demand[id - n]);
    }
};

/// Runs the simplex with flow type V (int when the total supply fits: less memory traffic).
template <typename V>
int solve(const Graph &g, int n, int m, const int64_t *supply, const int64_t *demand, const double *cost,
          double *total, double *potential_rows, double *potential_columns) {
    typedef lemon::NetworkSimplex<Graph, V, double> Simplex;
    Simplex simplex(g);
    simplex.costMap(CostMap{g, cost, costQuantum(cost, (long long)n * m, n + m)});
    simplex.supplyMap(SupplyMap<V>{g, n, supply, demand});
    switch (simplex.run()) {
        case Simplex::OPTIMAL: break;
        case Simplex::INFEASIBLE: return CLEMON_INFEASIBLE;
        default: return CLEMON_UNBOUNDED;
    }
    // The plan's cost with the costs as given.
    double sum = 0;
    for (long long k = 0; k < (long long)n * m; ++k) {
        V flow = simplex.flow(g.arc(int(k)));
        if (flow != 0) sum += double(flow) * cost[k];
    }
    *total = sum;
    if (potential_rows && potential_columns) {
        // LEMON's potentials pi satisfy cost + pi(source) - pi(target) >= 0 on every arc, so
        // u_i = -pi(i) and v_j = pi(n + j).
        for (int i = 0; i < n; ++i) potential_rows[i] = -simplex.potential(g.node(i));
        for (int j = 0; j < m; ++j) potential_columns[j] = simplex.potential(g.node(n + j));
    }
    return CLEMON_OPTIMAL;
}

}  // namespace

extern "C" int clemon_transport(int32_t n, int32_t m, const int64_t *supply, const int64_t *demand,
                                const double *cost, double *total, double *potential_rows,
                                double *potential_columns) {
    if (n <= 0 || m <= 0 || !supply || !demand || !cost || !total) return CLEMON_BAD_INPUT;
    try {
        Graph g;
        BipartiteArcs first{0, n, m}, last{(long long)n * m, n, m};
        g.build(n + m, first, last);
        long long sum = 0;
        for (int i = 0; i < n; ++i) {
            if (supply[i] < 0) return CLEMON_BAD_INPUT;
            sum += supply[i];
        }
        for (int j = 0; j < m; ++j)
            if (demand[j] < 0) return CLEMON_BAD_INPUT;
        if (sum < 2147483647LL)
            return solve<int>(g, n, m, supply, demand, cost, total, potential_rows, potential_columns);
        return solve<long long>(g, n, m, supply, demand, cost, total, potential_rows, potential_columns);
    } catch (const std::bad_alloc &) {
        return CLEMON_OUT_OF_MEMORY;
    } catch (...) {
        return CLEMON_BAD_INPUT;
    }
}
