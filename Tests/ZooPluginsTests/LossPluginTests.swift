import Foundation
import XCTest
import ZooPluginHost
import ZooTensor
import ZooTestSupport
import ZooValue

/// The losses library (`libZooLosses.so`), loaded and driven as the host drives any plug-in,
/// against PyTorch: `losses.safetensors` (cross-entropy, label smoothing, focal, balanced softmax,
/// logit adjustment, LDAM) and `class_balanced.safetensors` (class-balanced cross-entropy, LDAM in
/// its deferred re-weighting phase; written by `scripts/make_class_balanced_fixture.py`).
final class LossPluginTests: XCTestCase {
    static let product = "ZooLosses"
    static let names = ["cross-entropy", "label-smoothing", "focal", "class-balanced", "balanced-softmax",
                        "logit-adjusted", "ldam"]

    func loss(_ name: String, _ config: String) throws -> ModuleInstance {
        try BuiltInPlugins.module(Self.product, name, config)
    }

    /// `"class_counts": [..]` for a fixture's `input.class_counts`.
    func countsJSON(_ archive: SafeTensorsArchive) throws -> String {
        let counts = try archive.tensor("input.class_counts").scalars.map { "\(Int($0))" }
        return #""class_counts": ["# + counts.joined(separator: ", ") + "]"
    }

    /// The loaded loss's value and logits gradient against `output.<key>` and `grad.<key>.logits`.
    func check(_ module: ModuleInstance, _ archive: SafeTensorsArchive, _ key: String,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let logits = try archive.tensor("input.logits").copied()   // a fresh leaf: the archive hands out one tensor per name
        logits.requiresGrad = true
        let value = try module.forward([logits], labels: try archive.labels("input.labels"), training: true)[0]
        XCTAssertEqual(value.shape, [], file: file, line: line)
        assertClose(value.reshaped([1]), try archive.tensor("output." + key), tolerance: 1e-4, key, file: file, line: line)
        value.backward()
        assertClose(try XCTUnwrap(logits.grad, file: file, line: line), try archive.tensor("grad.\(key).logits"),
                    tolerance: 1e-3, "grad " + key, file: file, line: line)
    }

    // MARK: the library

    func testLibraryDescribesItsModules() throws {
        let library = try BuiltInPlugins.library(Self.product)
        XCTAssertEqual(library.name, "zoo-losses")
        XCTAssertEqual(library.version, "1.0.0")
        XCTAssertEqual(library.modules.map(\.name), Self.names)
        let keys: [String: [String]] = [
            "cross-entropy": [], "label-smoothing": ["epsilon"], "focal": ["gamma"], "class-balanced": ["beta", "class_counts"],
            "balanced-softmax": ["class_counts"], "logit-adjusted": ["class_counts", "tau"],
            "ldam": ["class_counts", "drw_epoch", "max_margin", "scale"],
        ]
        for descriptor in library.modules {
            XCTAssertEqual(descriptor.kind, .loss, descriptor.name)
            XCTAssertEqual(descriptor.inputCount, 2, descriptor.name)
            XCTAssertFalse(descriptor.summary.isEmpty, descriptor.name)
            XCTAssertFalse((descriptor.documentation ?? "").isEmpty, "\(descriptor.name) has no documentation")
            XCTAssertTrue(descriptor.documentation?.contains("labels") ?? false, descriptor.name)
            XCTAssertEqual(descriptor.configSchema.propertyNames.sorted(), keys[descriptor.name], descriptor.name)
        }
        XCTAssertTrue(try XCTUnwrap(library.module(named: "ldam")?.documentation).contains("`epoch`"))
    }

    func testConformance() throws {
        let library = try BuiltInPlugins.library(Self.product)
        let counts: JSONValue = .array([500, 299, 179, 107, 64, 38, 23, 13, 8, 5])
        let checks = PluginConformance.check(library, configurations: [
            "class-balanced": ["class_counts": counts], "balanced-softmax": ["class_counts": counts],
            "logit-adjusted": ["class_counts": counts, "tau": 1.5],
            "ldam": ["class_counts": counts, "scale": 2],
        ])
        XCTAssertEqual(Set(checks.map(\.module)), Set(Self.names))
        XCTAssertEqual(checks.count, 6 * Self.names.count)
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    /// `zoo plugin check` with no flags: each loss with its schema's example.
    func testCheckWithNoFlagsPassesOnEveryLoss() throws {
        let checks = try BuiltInPlugins.checkWithExamples(Self.product)
        for name in Self.names {
            XCTAssertEqual(checks.filter { $0.module == name }.map(\.name), BuiltInPlugins.checkNames, name)
        }
        for check in checks { XCTAssertTrue(check.passed, "\(check)") }
    }

    // MARK: parity with PyTorch

    func testCrossEntropy() throws {
        try check(loss("cross-entropy", "{}"), .fixture("losses.safetensors"), "cross_entropy")
    }

    func testLabelSmoothingDefaultsToPointOne() throws {
        try check(loss("label-smoothing", "{}"), .fixture("losses.safetensors"), "label_smoothing_0.1")
    }

    func testFocalDefaultsToGammaTwo() throws {
        try check(loss("focal", "{}"), .fixture("losses.safetensors"), "focal_gamma2")
        try check(loss("focal", #"{"gamma": 0}"#), .fixture("losses.safetensors"), "cross_entropy")
    }

    func testBalancedSoftmax() throws {
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        try check(loss("balanced-softmax", "{\(try countsJSON(archive))}"), archive, "balanced_softmax")
    }

    func testLogitAdjusted() throws {
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        try check(loss("logit-adjusted", #"{"tau": 1.5, "# + (try countsJSON(archive)) + "}"), archive, "logit_adjusted_tau1.5")
        try check(loss("logit-adjusted", "{\(try countsJSON(archive))}"), archive, "balanced_softmax")   // tau 1
    }

    func testClassBalanced() throws {
        let archive = try SafeTensorsArchive.fixture("class_balanced.safetensors")
        try check(loss("class-balanced", "{\(try countsJSON(archive))}"), archive, "class_balanced_beta0.9999")
        try check(loss("class-balanced", #"{"beta": 0.99, "# + (try countsJSON(archive)) + "}"), archive,
                  "class_balanced_beta0.99")
    }

    /// Before `drw_epoch` LDAM is the plain margin loss (`losses.safetensors` computed it without
    /// re-weighting).
    func testLDAMBeforeReweighting() throws {
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        let module = try loss("ldam", "{\(try countsJSON(archive))}")
        try check(module, archive, "ldam_m0.5_s30")
    }

    /// The `epoch` buffer, written in place by the host between calls, switches LDAM to the
    /// class-balanced weights from `drw_epoch` on.
    func testEpochBufferSwitchesLDAMToReweighting() throws {
        let archive = try SafeTensorsArchive.fixture("class_balanced.safetensors")
        let module = try loss("ldam", "{\(try countsJSON(archive))}")
        XCTAssertTrue(module.namedParameters.isEmpty)
        XCTAssertEqual(module.namedBuffers.map(\.0), ["epoch"])
        let epoch = try XCTUnwrap(module.namedBuffers.first?.1)
        XCTAssertEqual(epoch.shape, [])
        XCTAssertEqual(epoch.item, 0)

        let logits = try archive.tensor("input.logits"), labels = try archive.labels("input.labels")
        func value() throws -> Float { try module.forward([logits], labels: labels, training: false)[0].item }
        let plain = try value()
        epoch.withMutableScalars { $0[0] = 159 }
        XCTAssertEqual(try value(), plain, "before drw_epoch (160) the loss is unweighted")
        epoch.withMutableScalars { $0[0] = 160 }
        try check(module, archive, "ldam_drw_m0.5_s30")
        epoch.withMutableScalars { $0[0] = 250 }
        try check(module, archive, "ldam_drw_m0.5_s30")
        epoch.withMutableScalars { $0[0] = 0 }
        XCTAssertEqual(try value(), plain)

        let early = try loss("ldam", #"{"drw_epoch": 3, "# + (try countsJSON(archive)) + "}")
        let earlyEpoch = try XCTUnwrap(early.namedBuffers.first { $0.0 == "epoch" }?.1)
        earlyEpoch.withMutableScalars { $0[0] = 2 }
        XCTAssertEqual(try early.forward([logits], labels: labels, training: false)[0].item, plain)
        earlyEpoch.withMutableScalars { $0[0] = 3 }
        try check(early, archive, "ldam_drw_m0.5_s30")
    }

    // MARK: configuration and shapes

    func testPriorLossesNeedClassCountsOfTheLogitsWidth() throws {
        for name in ["class-balanced", "balanced-softmax", "logit-adjusted", "ldam"] {
            XCTAssertThrowsError(try loss(name, "{}"), name) { error in
                XCTAssertTrue("\(error)".contains("class_counts"), "\(error)")
            }
            XCTAssertThrowsError(try loss(name, #"{"class_counts": [10, 0, 3]}"#), name)
            let module = try loss(name, #"{"class_counts": [10, 5, 3]}"#)
            XCTAssertEqual(try module.outputShapes([[4, 3], [4]]), [[]], name)
            XCTAssertThrowsError(try module.outputShapes([[4, 4], [4]]), name) { error in
                XCTAssertTrue("\(error)".contains("class_counts"), "\(error)")
            }
        }
        XCTAssertThrowsError(try loss("cross-entropy", #"{"class_counts": [1, 2]}"#))
        XCTAssertThrowsError(try loss("label-smoothing", #"{"epsilon": 1.5}"#))
    }

    func testLabelsOutsideTheClassesAreRefused() throws {
        let module = try loss("cross-entropy", "{}")
        XCTAssertThrowsError(try module.forward([randomTensor([2, 3], seed: 1)], labels: [0, 3], training: false))
    }
}
