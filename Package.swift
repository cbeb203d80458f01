// swift-tools-version:6.0
// homogen: sampling, solving and comparing diffusions in fast-oscillating media
// (Gao & Yip, "Homogenisation of Wasserstein gradient flows").
import Foundation
import PackageDescription

let package = Package(
    name: "homogen",
    products: [
        .library(name: "Homogen", targets: ["Homogen"]),
        .executable(name: "homogen", targets: ["homogen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // GNU Scientific Library, found through pkg-config; `apt-get install libgsl-dev`.
        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"])]
        ),
        // FFTW 3 (libfftw3-dev), found through pkg-config; only Sources/Homogen/FFT/ imports it.
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        // LEMON (liblemon-dev), found through pkg-config: carries -llemon to the C++ shim below.
        .systemLibrary(
            name: "CLemonSystem",
            path: "Sources/CLemonSystem",
            pkgConfig: "lemon",
            providers: [.apt(["liblemon-dev"])]
        ),
        // C API over LEMON's NetworkSimplex for the dense transportation problem (C++).
        .target(
            name: "CLemon",
            dependencies: ["CLemonSystem"],
            cxxSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("stdc++")]
        ),
        // Array kernels for the expression tapes: each a plain loop that clang vectorises,
        // with transcendental functions mapped onto glibc's libmvec (see kernels.c).
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-fveclib=libmvec"])],
            linkerSettings: [.linkedLibrary("mvec"), .linkedLibrary("m")]
        ),
        .target(
            name: "Homogen",
            dependencies: [
                "CGSL", "CKernels", "CLemon", "CFFTW",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "homogen",
            dependencies: [
                "Homogen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: ["BuildInfo"]
        ),
        // Writes the git commit into the tool at build time (`homogen --version`, summary.json).
        .plugin(name: "BuildInfo", capability: .buildTool()),
        .testTarget(
            name: "HomogenTests",
            dependencies: ["Homogen"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)

// The MPI mode is a separate product, built only with HOMOGEN_MPI=1 (it needs Open MPI,
// `apt-get install libopenmpi-dev`), so that the default build does not:
//   HOMOGEN_MPI=1 swift build -c release --product homogen-mpi --scratch-path .build-mpi
if ProcessInfo.processInfo.environment["HOMOGEN_MPI"] == "1" {
    package.targets += [
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .executableTarget(
            name: "homogen-mpi",
            dependencies: ["Homogen", "CMPI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/homogen-mpi",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
    package.products.append(.executable(name: "homogen-mpi", targets: ["homogen-mpi"]))
}

// The libFuzzer targets (Fuzz/), built only by scripts/fuzz.sh with HOMOGEN_FUZZ=1 and
// `--sanitize fuzzer --sanitize address`: libFuzzer supplies `main`, so the module is compiled
// as a library (no top-level code).
if ProcessInfo.processInfo.environment["HOMOGEN_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "homogen-fuzz",
            dependencies: ["Homogen", .product(name: "TOMLKit", package: "TOMLKit")],
            path: "Fuzz/HomogenFuzz",
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-parse-as-library"])]
        ))
    package.products.append(.executable(name: "homogen-fuzz", targets: ["homogen-fuzz"]))
}
