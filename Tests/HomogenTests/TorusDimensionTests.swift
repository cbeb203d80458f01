import XCTest
@testable import Homogen

/// The counting that every dimension-generic piece of code relies on, against hand calculations
/// and brute force.
final class TorusDimensionTests: XCTestCase {
    func testCountsNamesAndVariables() {
        XCTAssertEqual(TorusDimension.one.cells(perAxis: 7), 7)
        XCTAssertEqual(TorusDimension.two.cells(perAxis: 7), 49)
        XCTAssertEqual(TorusDimension.two.volume(side: 0.25), 0.0625)
        XCTAssertEqual(TorusDimension.one.variableNames, ["x", "y"])
        XCTAssertEqual(TorusDimension.two.variableNames, ["x1", "x2", "y1", "y2"])
        XCTAssertEqual(TorusDimension.two.slowVariables, [0, 1])
        XCTAssertEqual(TorusDimension.two.fastVariables, [2, 3])
        XCTAssertEqual(TorusDimension.one.variables, [0, 1])
        XCTAssertEqual(TorusDimension.one.positionShape(particles: 5), [5])
        XCTAssertEqual(TorusDimension.two.positionShape(particles: 5), [5, 2])
        XCTAssertEqual(TorusDimension.three.cells(perAxis: 7), 343)
        XCTAssertEqual(TorusDimension.three.variableNames, ["x1", "x2", "x3", "y1", "y2", "y3"])
        XCTAssertEqual(TorusDimension.three.fastVariables, [3, 4, 5])
        XCTAssertEqual(TorusDimension.three.positionShape(particles: 5), [5, 3])
        XCTAssertEqual(TorusDimension(count: 3), .three)
        XCTAssertEqual(TorusDimension(count: 4), nil)
        XCTAssertEqual("\(TorusDimension.two)D", "2D")
    }

    /// Row-major: (i1, i2) is i1·n + i2, and the round trip is the identity.
    func testFlatIndicesAreRowMajor() {
        let d = TorusDimension.two
        XCTAssertEqual(d.indices(ofCell: 13, perAxis: 5), [2, 3])
        XCTAssertEqual(d.flatIndex([2, 3], perAxis: 5), 13)
        for cell in 0..<25 { XCTAssertEqual(d.flatIndex(d.indices(ofCell: cell, perAxis: 5), perAxis: 5), cell) }
        let d3 = TorusDimension.three
        XCTAssertEqual(d3.indices(ofCell: 2 * 25 + 3 * 5 + 4, perAxis: 5), [2, 3, 4])
        for cell in 0..<125 { XCTAssertEqual(d3.flatIndex(d3.indices(ofCell: cell, perAxis: 5), perAxis: 5), cell) }
    }

    /// The periodic neighbours of every cell, against index arithmetic, in every dimension.
    func testGridNeighboursWrapAroundEveryAxis() {
        for d in TorusDimension.allCases {
            let g = PeriodicGrid(dimension: d, n: 4)
            for cell in 0..<g.count {
                let index = d.indices(ofCell: cell, perAxis: 4)
                for axis in d.axes {
                    var f = index, b = index
                    f[axis] = (f[axis] + 1) % 4
                    b[axis] = (b[axis] + 3) % 4
                    XCTAssertEqual(g.forward(cell, axis), d.flatIndex(f, perAxis: 4), "\(d)D cell \(cell) axis \(axis)")
                    XCTAssertEqual(g.backward(cell, axis), d.flatIndex(b, perAxis: 4), "\(d)D cell \(cell) axis \(axis)")
                }
            }
        }
    }

    /// Merging c consecutive cells per axis, also when c does not divide n (the last coarse cell is short).
    func testCoarseCellsAgreeWithBruteForce() {
        for d in TorusDimension.allCases {
            for (n, c) in [(8, 2), (12, 4), (10, 3), (5, 5)] {
                let m = (n + c - 1) / c
                for cell in 0..<d.cells(perAxis: n) {
                    let expected = d.flatIndex(d.indices(ofCell: cell, perAxis: n).map { $0 / c }, perAxis: m)
                    XCTAssertEqual(d.coarseCell(cell, perAxis: n, factor: c), expected, "\(d)D n=\(n) c=\(c) cell \(cell)")
                }
            }
        }
    }

    /// Cloud-in-cell by hand: 4 cells, the point x = (0.3, 0.95). Axis 1: u = 0.7, cells 0 and 1 with
    /// weights 0.3, 0.7; axis 2: u = 3.3, cells 3 and 0 (periodic) with weights 0.7, 0.3.
    func testCloudInCellByHand() {
        let d = TorusDimension.two
        var cells = [Int](repeating: -1, count: 4), weights = [Double](repeating: .nan, count: 4)
        let x = [0.3, 0.95]
        d.cloudInCell(perAxis: 4, { x[$0] }, cells: &cells, weights: &weights)
        XCTAssertEqual(cells, [0 * 4 + 3, 0 * 4 + 0, 1 * 4 + 3, 1 * 4 + 0])
        let expected = [0.3 * 0.7, 0.3 * 0.3, 0.7 * 0.7, 0.7 * 0.3]
        for q in 0..<4 { XCTAssertEqual(weights[q], expected[q], accuracy: 1e-15) }
        XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-15)

        var c1 = [0, 0], w1 = [0.0, 0.0]
        TorusDimension.one.cloudInCell(perAxis: 4, { _ in 0.05 }, cells: &c1, weights: &w1)   // u = -0.3
        XCTAssertEqual(c1, [3, 0])
        XCTAssertEqual(w1[0], 0.3, accuracy: 1e-15)
        XCTAssertEqual(w1[1], 0.7, accuracy: 1e-15)
    }

    func testCellBoundsColumns() {
        XCTAssertEqual(TorusDimension.one.cellBoundsHeader, "x_lo,x_hi")
        XCTAssertEqual(TorusDimension.two.cellBoundsHeader, "x1_lo,x1_hi,x2_lo,x2_hi")
        XCTAssertEqual(TorusDimension.two.cellBounds(6, perAxis: 4), "0.25,0.5,0.5,0.75")
        XCTAssertEqual(TorusDimension.one.countColumn, 2)
        XCTAssertEqual(TorusDimension.two.countColumn, 4)
        // The histogram CSV's count column is where readCounts looks for it.
        let csv = SampleRunFolder.histogramCSV(counts: [1, 2, 3, 4], particles: 10, cells: 2, dimension: .two)
        let header = csv.split(separator: "\n")[0].split(separator: ",")
        XCTAssertEqual(header[TorusDimension.two.countColumn], "count")
    }
}
