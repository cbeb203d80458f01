extension Scenario {
    /// The normalised equilibrium π_ε / ∫π_ε integrated over each output cell ([grid] cells
    /// per dimension, row-major in 2D), by composite Gauss–Legendre quadrature resolving ε.
    public func equilibriumCellMasses(cells: Int? = nil) -> [Double] {
        let f = lowered()
        return normalised(f.cellIntegrals(of: f.pi, cells: cells ?? self.cells))
    }

    /// The normalised initial density ρ0 integrated over each output cell.
    public func initialCellMasses(cells: Int? = nil) -> [Double] {
        let f = lowered()
        return normalised(f.cellIntegrals(of: f.rho0, cells: cells ?? self.cells))
    }

    private func normalised(_ masses: [Double]) -> [Double] {
        let total = masses.reduce(0, +)
        return masses.map { $0 / total }
    }
}
