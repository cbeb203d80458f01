// The dense transportation problem through LEMON's NetworkSimplex (the algorithm POT's emd derives
// from). The complete bipartite graph is a StaticDigraph built from an arc list generated on the fly
// (no n*m array of pairs); arc k = i*m + j joins row i to column n + j, so the costs are read straight
// from the row-major matrix.
#include "CLemon.h"

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

struct CostMap {
    const Graph &g;
    const double *cost;
    typedef Graph::Arc Key;
    typedef double Value;
    double operator[](const Graph::Arc &a) const { return cost[g.id(a)]; }
};

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
    simplex.costMap(CostMap{g, cost});
    simplex.supplyMap(SupplyMap<V>{g, n, supply, demand});
    switch (simplex.run()) {
        case Simplex::OPTIMAL: break;
        case Simplex::INFEASIBLE: return CLEMON_INFEASIBLE;
        default: return CLEMON_UNBOUNDED;
    }
    *total = simplex.template totalCost<double>();
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
