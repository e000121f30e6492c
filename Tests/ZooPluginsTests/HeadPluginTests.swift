import Foundation
import XCTest
import ZooPluginHost
import ZooTensor
import ZooTestSupport
import ZooValue

/// The heads library (`libZooHeads.so`: linear, cosine, tau-norm, mlp-head), loaded and driven as
/// the host drives any plug-in; values checked against formulas evaluated here in double precision.
final class HeadPluginTests: XCTestCase {
    static let product = "ZooHeads"

    func head(_ name: String, _ config: String) throws -> ModuleInstance {
        try BuiltInPlugins.module(Self.product, name, config)
    }

    func parameter(_ module: ModuleInstance, _ name: String) throws -> Tensor {
        try XCTUnwrap(module.namedParameters.first { $0.0 == name }?.1, "\(module.name) has no parameter \(name)")
    }

    /// `x Wᵀ + b` row by row in double precision (`x [B, D]`, `weight [C, D]`).
    func affine(_ x: Tensor, _ weight: [[Double]], _ bias: [Double]?) -> [Float] {
        let (rows, width) = (x.shape[0], x.shape[1])
        let xs = x.scalars
        var result: [Float] = []
        for row in 0..<rows {
            for (c, w) in weight.enumerated() {
                var sum = bias?[c] ?? 0
                for k in 0..<width { sum += Double(xs[row * width + k]) * w[k] }
                result.append(Float(sum))
            }
        }
        return result
    }

    func rows(_ tensor: Tensor) -> [[Double]] {
        let width = tensor.shape[1], scalars = tensor.scalars.map(Double.init)
        return (0..<tensor.shape[0]).map { Array(scalars[($0 * width)..<(($0 + 1) * width)]) }
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    // MARK: the library

    func testLibraryDescribesItsModules() throws {
        let library = try BuiltInPlugins.library(Self.product)
        XCTAssertEqual(library.name, "zoo-heads")
        XCTAssertEqual(library.version, "1.0.0")
        XCTAssertEqual(library.modules.map(\.name), ["linear", "cosine", "tau-norm", "mlp-head"])
        let keys: [String: [String]] = [
            "linear": ["in_dim", "num_classes"], "cosine": ["bias", "in_dim", "num_classes", "scale"],
            "tau-norm": ["in_dim", "num_classes", "tau"], "mlp-head": ["hidden", "in_dim", "num_classes"],
        ]
        for descriptor in library.modules {
            XCTAssertEqual(descriptor.kind, .head, descriptor.name)
            XCTAssertEqual(descriptor.batchEffect, .unchanged, descriptor.name)
            XCTAssertFalse(descriptor.trainingOnly, descriptor.name)
            XCTAssertFalse(descriptor.summary.isEmpty, descriptor.name)
            XCTAssertFalse((descriptor.documentation ?? "").isEmpty, "\(descriptor.name) has no documentation")
            XCTAssertTrue(descriptor.documentation?.contains("labels") ?? false, descriptor.name)
            XCTAssertEqual(descriptor.configSchema.propertyNames.sorted(), keys[descriptor.name], descriptor.name)
        }
    }

    func testConformance() throws {
        let library = try BuiltInPlugins.library(Self.product)
        let base: [(String, JSONValue)] = [("num_classes", 5), ("in_dim", 12)]
        let checks = PluginConformance.check(library, configurations: [
            "linear": .object(base), "cosine": .object(base + [("bias", true)]),
            "tau-norm": .object(base + [("tau", 0.7)]), "mlp-head": .object(base + [("hidden", 16)]),
        ])
        XCTAssertEqual(Set(checks.map(\.module)), ["linear", "cosine", "tau-norm", "mlp-head"])
        XCTAssertEqual(checks.count, 24)
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    /// `zoo plugin check` with no flags: each head with its schema's example.
    func testCheckWithNoFlagsPassesOnEveryHead() throws {
        let checks = try BuiltInPlugins.checkWithExamples(Self.product)
        for name in ["linear", "cosine", "tau-norm", "mlp-head"] {
            XCTAssertEqual(checks.filter { $0.module == name }.map(\.name), BuiltInPlugins.checkNames, name)
        }
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    func testInDimIsRequiredAtCreate() throws {
        for name in ["linear", "cosine", "tau-norm", "mlp-head"] {
            XCTAssertThrowsError(try head(name, #"{"num_classes": 3}"#), name) { error in
                XCTAssertTrue("\(error)".contains("in_dim"), "\(error)")
            }
            XCTAssertThrowsError(try head(name, #"{"in_dim": 3}"#), name)
            XCTAssertThrowsError(try head(name, #"{"num_classes": 3, "in_dim": 4, "extra": 1}"#), name)
        }
    }

    // MARK: linear

    func testLinearIsTorchLinear() throws {
        let module = try head("linear", #"{"num_classes": 7, "in_dim": 10}"#)
        XCTAssertEqual(module.namedParameters.map(\.0), ["weight", "bias"])
        let weight = try parameter(module, "weight"), bias = try parameter(module, "bias")
        XCTAssertEqual(weight.shape, [7, 10])
        XCTAssertEqual(bias.shape, [7])
        // torch.nn.Linear's initialisation: U(±1/√in_dim).
        let bound = Float(1 / 10.0.squareRoot())
        XCTAssertTrue((weight.scalars + bias.scalars).allSatisfy { abs($0) <= bound })
        XCTAssertEqual(try module.outputShapes([[3, 10]]), [[3, 7]])
        XCTAssertThrowsError(try module.outputShapes([[3, 9]]))
        let x = randomTensor([3, 10], seed: 1)
        let logits = try module.forward([x], training: false)[0]
        assertClose(logits.scalars, affine(x, rows(weight), bias.scalars.map(Double.init)), tolerance: 1e-6, "logits")
    }

    // MARK: cosine

    func testCosineScalesCosineSimilarities() throws {
        let module = try head("cosine", #"{"num_classes": 4, "in_dim": 6}"#)
        XCTAssertEqual(module.namedParameters.map(\.0), ["weight"], "no bias unless bias: true")
        let weight = try parameter(module, "weight")
        let x = randomTensor([5, 6], seed: 2, scale: 3)
        let logits = try module.forward([x], training: false)[0]
        let unitRows = rows(weight).map { w in w.map { $0 / norm(w) } }
        let unitX = Tensor(shape: x.shape, scalars: rows(x).flatMap { r in r.map { Float($0 / norm(r)) } })
        assertClose(logits.scalars, affine(unitX, unitRows.map { $0.map { 16 * $0 } }, nil), tolerance: 1e-5, "scale 16")
        XCTAssertTrue(logits.scalars.allSatisfy { abs($0) <= 16.0001 })

        let biased = try head("cosine", #"{"num_classes": 4, "in_dim": 6, "scale": 2.5, "bias": true}"#)
        XCTAssertEqual(biased.namedParameters.map(\.0), ["weight", "bias"])
        let w = try parameter(biased, "weight"), b = try parameter(biased, "bias")
        let unit = rows(w).map { r in r.map { 2.5 * $0 / norm(r) } }
        let expected = affine(unitX, unit, b.scalars.map(Double.init))
        assertClose(try biased.forward([x], training: false)[0].scalars, expected, tolerance: 1e-5, "scale 2.5 with bias")
    }

    // MARK: tau-norm

    func testTauNormDividesWeightRowsByTheirNormToTheTau() throws {
        let module = try head("tau-norm", #"{"num_classes": 5, "in_dim": 8, "tau": 0.5}"#)
        XCTAssertEqual(module.namedParameters.map(\.0), ["weight", "bias"])
        let weight = try parameter(module, "weight"), bias = try parameter(module, "bias")
        let x = randomTensor([4, 8], seed: 3)
        let scaled = rows(weight).map { r in r.map { $0 / Foundation.pow(norm(r), 0.5) } }
        assertClose(try module.forward([x], training: false)[0].scalars,
                    affine(x, scaled, bias.scalars.map(Double.init)), tolerance: 1e-5, "tau 0.5")

        // Default tau = 1: unit rows. A linear head's checkpoint (same names) loads as it is.
        let linear = try head("linear", #"{"num_classes": 5, "in_dim": 8}"#)
        let unitNorm = try head("tau-norm", #"{"num_classes": 5, "in_dim": 8}"#)
        for (name, tensor) in linear.namedParameters { try parameter(unitNorm, name).assign(tensor) }
        let unit = rows(try parameter(linear, "weight")).map { r in r.map { $0 / norm(r) } }
        assertClose(try unitNorm.forward([x], training: false)[0].scalars,
                    affine(x, unit, try parameter(linear, "bias").scalars.map(Double.init)), tolerance: 1e-5, "tau 1")

        // tau = 0 is the linear head.
        let plain = try head("tau-norm", #"{"num_classes": 5, "in_dim": 8, "tau": 0}"#)
        for (name, tensor) in linear.namedParameters { try parameter(plain, name).assign(tensor) }
        assertClose(try plain.forward([x], training: false)[0], try linear.forward([x], training: false)[0],
                    tolerance: 1e-6, "tau 0")
    }

    // MARK: mlp-head

    func testMLPHeadIsTwoLinearLayersWithReLU() throws {
        let module = try head("mlp-head", #"{"num_classes": 3, "in_dim": 6, "hidden": 9}"#)
        XCTAssertEqual(module.namedParameters.map { "\($0.0) \($0.1.shape)" },
                       ["fc1.weight [9, 6]", "fc1.bias [9]", "fc2.weight [3, 9]", "fc2.bias [3]"])
        let x = randomTensor([4, 6], seed: 4)
        let hidden = affine(x, rows(try parameter(module, "fc1.weight")),
                            try parameter(module, "fc1.bias").scalars.map(Double.init)).map { max($0, 0) }
        let expected = affine(Tensor(shape: [4, 9], scalars: hidden), rows(try parameter(module, "fc2.weight")),
                              try parameter(module, "fc2.bias").scalars.map(Double.init))
        assertClose(try module.forward([x], training: true)[0].scalars, expected, tolerance: 1e-5, "mlp-head")

        let wide = try head("mlp-head", #"{"num_classes": 3, "in_dim": 6}"#)
        XCTAssertEqual(try parameter(wide, "fc1.weight").shape, [512, 6], "hidden defaults to 512")
    }

    /// Gradients reach the features and every parameter through the loaded library.
    func testGradientsReachFeaturesAndParameters() throws {
        for (name, config) in [("linear", #"{"num_classes": 3, "in_dim": 5}"#),
                               ("cosine", #"{"num_classes": 3, "in_dim": 5, "bias": true}"#),
                               ("tau-norm", #"{"num_classes": 3, "in_dim": 5}"#),
                               ("mlp-head", #"{"num_classes": 3, "in_dim": 5, "hidden": 7}"#)] {
            let module = try head(name, config)
            let x = randomTensor([4, 5], seed: 6)
            x.requiresGrad = true
            let logits = try module.forward([x], training: true)[0]
            (logits * randomTensor(logits.shape, seed: 7)).sum().backward()
            XCTAssertNotNil(x.grad, name)
            for (key, parameter) in module.namedParameters {
                let grad = try XCTUnwrap(parameter.grad, "\(name).\(key)")
                XCTAssertTrue(grad.scalars.contains { $0 != 0 }, "\(name).\(key)")
            }
        }
    }
}
