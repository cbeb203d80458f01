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

extension Scenario {
    /// Whether ρ0 is π_ε itself (up to normalisation): the ratio ρ0/π of the composite fields is
    /// constant, to 1e-9 relative, at 4096 points in 1D or 128² in 2D (shifted off the dyadic
    /// grid, so that no ε-period is sampled at one phase only). `[initial] f = "1"` passes exactly.
    public func initialIsEquilibrium() -> Bool {
        let f = lowered()
        let ratio = f.graph.div(f.rho0, f.pi)
        let perAxis: Int
        switch dimension {
        case .one: perAxis = 4096
        case .two: perAxis = 128
        case .three: perAxis = 40
        }
        let axis = (0..<perAxis).map { (Double($0) + 0.318_309_886) / Double(perAxis) }
        let n = Double(inverseEpsilon)
        let points = (0..<dimension.cells(perAxis: perAxis)).map { dimension.indices(ofCell: $0, perAxis: perAxis) }
        let slow = dimension.axes.map { k in points.map { axis[$0[k]] } }
        let columns = slow + slow.map { $0.map { $0 * n } }
        let values = f.evaluate([ratio], inputs: dimension.variables, columns: columns)[0]
        guard let lo = values.min(), let hi = values.max(), lo.isFinite, hi.isFinite, hi > 0 else { return false }
        return hi - lo <= 1e-9 * hi
    }
}
