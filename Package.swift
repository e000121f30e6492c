// swift-tools-version:6.0
// Zoo: a plug-in model zoo for deep learning.
//
// Note: `Plugins/` in this repository holds *model* plug-ins (shared libraries
// loaded at run time), not SwiftPM package plug-ins; every target names its `path:`.
import PackageDescription

let package = Package(
    name: "Zoo",
    products: [
        .library(name: "ZooTensor", targets: ["ZooTensor"]),
        .library(name: "ZooNN", targets: ["ZooNN"]),
        .library(name: "ZooOptim", targets: ["ZooOptim"]),
        .executable(name: "zoo-bench", targets: ["zoo-bench"]),
    ],
    targets: [
        // MARK: core
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(
            name: "ZooTensor", dependencies: ["COpenBLAS"], path: "Sources/ZooTensor",
            swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "ZooNN", dependencies: ["ZooTensor"], path: "Sources/ZooNN"),
        .target(name: "ZooOptim", dependencies: ["ZooTensor"], path: "Sources/ZooOptim"),

        // MARK: tools
        .executableTarget(
            name: "zoo-bench", dependencies: ["ZooTensor", "ZooNN", "ZooOptim"],
            path: "Sources/zoo-bench"),

        // MARK: examples
        .executableTarget(
            name: "train-mlp", dependencies: ["ZooTensor", "ZooNN", "ZooOptim"],
            path: "Examples/train-mlp"),

        // MARK: tests
        .target(name: "ZooTestSupport", dependencies: ["ZooTensor"], path: "Sources/ZooTestSupport"),
        .testTarget(
            name: "ZooTensorTests", dependencies: ["ZooTensor", "ZooTestSupport"],
            path: "Tests/ZooTensorTests"),
        .testTarget(
            name: "ZooNNTests", dependencies: ["ZooNN", "ZooTensor", "ZooTestSupport"],
            path: "Tests/ZooNNTests"),
        .testTarget(
            name: "ZooOptimTests", dependencies: ["ZooOptim", "ZooNN", "ZooTensor", "ZooTestSupport"],
            path: "Tests/ZooOptimTests"),
    ],
    swiftLanguageModes: [.v6]
)
