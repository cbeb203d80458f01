/// How `compare` computes Wasserstein distances in each dimension. On the circle (1D) W2 is exact
/// from the particles' positions and the densities' cumulative distributions (`CircleWasserstein`);
/// on the torus (2D) it is the back-and-forth method on the grid (`GridWasserstein`), from counts.
public enum TransportMethod: Sendable, Equatable {
    case circle, torusGrid

    public init(_ dimension: TorusDimension) {
        switch dimension {
        case .one: self = .circle
        case .two, .three: self = .torusGrid
        }
    }

    /// Whether the test needs every particle's position (the circle's exact W2), not only counts.
    public var needsPositions: Bool { self == .circle }

    /// The method in words, for the run folder's summary.
    public var description: String {
        switch self {
        case .circle: return "exact W2 on the circle against the solvers' fine-grid densities"
        case .torusGrid:
            return "W2 on the torus by the back-and-forth method: PDE against PDE on the solver grid, particles' counts "
                + "against the PDE on the output grid (bootstrap null by the same pipeline)"
        }
    }
}
