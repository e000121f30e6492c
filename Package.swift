// swift-tools-version:6.0
// Zoo: a plug-in model zoo for deep learning.
//
// Note: `Plugins/` in this repository holds *model* plug-ins (shared libraries
// loaded at run time), not SwiftPM package plug-ins; every target names its `path:`.
import PackageDescription

/// A plug-in library binds its own symbols to its own definitions, so that the copy of Zoo's
/// modules inside it never resolves to the host's copy.
let pluginLinkerSettings: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]

let package = Package(
    name: "Zoo",
    products: [
        .library(name: "ZooValue", targets: ["ZooValue"]),
        .library(name: "ZooTensor", targets: ["ZooTensor"]),
        .library(name: "ZooNN", targets: ["ZooNN"]),
        .library(name: "ZooOptim", targets: ["ZooOptim"]),
        .library(name: "ZooPluginKit", targets: ["ZooPluginKit"]),
        .library(name: "ZooPluginHost", targets: ["ZooPluginHost"]),
        .executable(name: "zoo", targets: ["zoo"]),
        .executable(name: "zoo-bench", targets: ["zoo-bench"]),
        .executable(name: "zoo-fuzz", targets: ["zoo-fuzz"]),
        // The built-in zoo: shared libraries the host loads at run time (never linked into it).
        .library(name: "ZooBackbones", type: .dynamic, targets: ["ZooBackbonesPlugin"]),
        .library(name: "ZooHeads", type: .dynamic, targets: ["ZooHeadsPlugin"]),
        .library(name: "ZooLosses", type: .dynamic, targets: ["ZooLossesPlugin"]),
        .library(name: "ZooRelations", type: .dynamic, targets: ["ZooRelationsPlugin"]),
        // Example plug-ins: shared libraries the host loads at run time.
        .library(name: "ZooExampleFocalLoss", type: .dynamic, targets: ["ExampleFocalLoss"]),
        .library(name: "ZooExampleScaledHead", type: .dynamic, targets: ["ExampleScaledHead"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: core
        .target(name: "ZooValue", path: "Sources/ZooValue"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(name: "CZooKernels", path: "Sources/CZooKernels", cSettings: [.unsafeFlags(["-O3", "-fno-builtin"])]),
        .target(
            name: "ZooTensor", dependencies: ["COpenBLAS", "CZooKernels", "ZooValue"], path: "Sources/ZooTensor",
            swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "ZooNN", dependencies: ["ZooTensor"], path: "Sources/ZooNN"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "ZooData", dependencies: ["ZooTensor", "ZooValue", "CZlib"], path: "Sources/ZooData"),
        .target(name: "ZooTrain", dependencies: ["ZooData", "ZooValue", "ZooOptim", "ZooTensor", "ZooPipeline", "ZooManifest", "ZooPluginHost"],
                path: "Sources/ZooTrain"),
        .target(name: "ZooOptim", dependencies: ["ZooTensor"], path: "Sources/ZooOptim"),

        // MARK: plug-in boundary
        .target(name: "CZooPlugin", path: "Sources/CZooPlugin"),
        .systemLibrary(name: "CFFI", path: "Sources/CFFI"),
        .target(name: "ZooPluginKit", dependencies: ["CZooPlugin", "ZooNN", "ZooTensor", "ZooValue"], path: "Sources/ZooPluginKit"),
        .target(name: "ZooPluginHost", dependencies: ["CZooPlugin", "CFFI", "ZooTensor", "ZooValue", .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/ZooPluginHost"),

        // MARK: manifests and pipelines
        .target(name: "ZooManifest", dependencies: ["ZooValue", .product(name: "Yams", package: "Yams")], path: "Sources/ZooManifest"),
        .target(name: "ZooPipeline", dependencies: ["ZooManifest", "ZooPluginHost", "ZooTensor", "ZooValue"], path: "Sources/ZooPipeline"),

        // MARK: tools
        .executableTarget(
            name: "zoo",
            dependencies: ["ZooPluginHost", "ZooTensor", "ZooValue", "ZooManifest", "ZooPipeline", "ZooTrain",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/zoo"),
        .executableTarget(
            name: "zoo-bench",
            dependencies: ["ZooTensor", "ZooValue", "ZooNN", "ZooOptim", "ZooPluginHost", "ZooManifest", "ZooPipeline", "ZooTrain"],
            path: "Sources/zoo-bench"),

        .executableTarget(
            name: "zoo-fuzz", dependencies: ["ZooData", "ZooManifest", "ZooPluginHost", "ZooTensor", "ZooTrain"],
            path: "Sources/zoo-fuzz"),

        // MARK: built-in plug-ins
        .target(name: "ZooBackbonesPlugin", dependencies: ["ZooPluginKit"], path: "Plugins/backbones",
                linkerSettings: pluginLinkerSettings),
        .target(name: "ZooHeadsPlugin", dependencies: ["ZooPluginKit"], path: "Plugins/heads",
                linkerSettings: pluginLinkerSettings),
        .target(name: "ZooLossesPlugin", dependencies: ["ZooPluginKit"], path: "Plugins/losses",
                linkerSettings: pluginLinkerSettings),
        .target(name: "ZooRelationsPlugin", dependencies: ["ZooPluginKit"], path: "Plugins/relations",
                linkerSettings: pluginLinkerSettings),

        // MARK: examples
        .target(
            name: "ExampleFocalLoss", dependencies: ["ZooPluginKit"], path: "Examples/plugins/focal-loss",
            exclude: ["README.md", "manifest.yaml"], linkerSettings: pluginLinkerSettings),
        .target(name: "ExampleScaledHead", dependencies: ["CZooPlugin"], path: "Examples/plugins/scaled-head-c",
                exclude: ["README.md", "manifest.yaml"], linkerSettings: pluginLinkerSettings + [.linkedLibrary("m")]),
        .executableTarget(
            name: "train-mlp", dependencies: ["ZooTensor", "ZooNN", "ZooOptim"],
            path: "Examples/train-mlp"),
        .executableTarget(
            name: "pipeline-example", dependencies: ["ZooManifest", "ZooPipeline", "ZooPluginHost", "ZooTensor"],
            path: "Examples/pipeline"),

        // MARK: tests
        .target(name: "CZooPluginLayout", dependencies: ["CZooPlugin"], path: "Tests/CZooPluginLayout"),
        .testTarget(
            name: "ZooPluginHostTests",
            dependencies: ["ZooPluginHost", "ZooValue", "CZooPlugin", "CZooPluginLayout", "ZooTensor", "ZooTestSupport"],
            path: "Tests/ZooPluginHostTests", exclude: ["Kernels", "Plugins"]),
        .testTarget(
            name: "ZooTrainTests",
            dependencies: ["ZooTrain", "ZooTensor", "ZooData", "ZooManifest", "ZooPipeline", "ZooPluginHost", "ZooOptim", "ZooTestSupport"],
            path: "Tests/ZooTrainTests", exclude: ["Plugins"]),
        .testTarget(name: "ZooDataTests", dependencies: ["ZooData", "ZooTensor"], path: "Tests/ZooDataTests"),
        .testTarget(
            name: "ZooPluginsTests", dependencies: ["ZooPluginHost", "ZooValue", "ZooNN", "ZooTensor", "ZooTestSupport"],
            path: "Tests/ZooPluginsTests"),
        .testTarget(
            name: "ZooPluginKitTests", dependencies: ["ZooPluginKit", "CZooPlugin", "ZooNN", "ZooTensor", "ZooTestSupport"],
            path: "Tests/ZooPluginKitTests"),
        .target(name: "ZooTestSupport", dependencies: ["ZooTensor"], path: "Sources/ZooTestSupport"),
        .testTarget(
            name: "ZooManifestTests", dependencies: ["ZooManifest"], path: "Tests/ZooManifestTests"),
        .testTarget(
            name: "ZooPipelineTests",
            dependencies: ["ZooPipeline", "ZooManifest", "ZooPluginHost", "ZooTensor", "ZooValue", "ZooTestSupport"],
            path: "Tests/ZooPipelineTests"),
        .testTarget(name: "ZooValueTests", dependencies: ["ZooValue"], path: "Tests/ZooValueTests"),
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
