import Foundation
import XCTest
import ZooPluginHost
import ZooTensor
import ZooTestSupport
import ZooValue

/// The conformance check (`zoo plugin check`) on the example plug-ins, which pass, and on a test
/// plug-in whose backward is wrong, which fails where it should.
final class PluginConformanceTests: XCTestCase {
    /// An example library the package builds beside the tests.
    static func exampleLibrary(_ name: String) throws -> PluginLibrary {
        try PluginLibrary.load(file: BuiltProducts.library(name))
    }

    func assertAllPass(_ checks: [PluginConformance.Check], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(checks.map(\.name), ["create", "input shapes", "forward", "backward against finite differences",
                                            "bad configuration refused", "wrong input shape refused"],
                       file: file, line: line)
        for check in checks { XCTAssertTrue(check.passed, "\(check)", file: file, line: line) }
    }

    func testSwiftExamplePasses() throws {
        let library = try Self.exampleLibrary("ZooExampleFocalLoss")
        XCTAssertTrue(library.isSwift)
        assertAllPass(PluginConformance.check(library))
    }

    func testCExamplePassesWithItsConfiguration() throws {
        let library = try Self.exampleLibrary("ZooExampleScaledHead")
        let configuration = try JSONValue.parse(#"{"in_features": 12, "out_features": 5, "scale": 0.5}"#)
        let checks = PluginConformance.check(library, configurations: ["scaled-head": configuration])
        assertAllPass(checks)
        XCTAssertEqual(checks[1].detail, "[4, 12]")
    }

    func testCExamplePassesWithItsSchemasExample() throws {
        let checks = PluginConformance.check(try Self.exampleLibrary("ZooExampleScaledHead"))
        assertAllPass(checks)
        XCTAssertEqual(checks[0].detail, #"{"in_features":12,"out_features":5,"scale":0.5}"#)
        XCTAssertEqual(checks[1].detail, "[4, 12]", "the input width follows from in_features (x-zoo-from input.features)")
    }

    func testModuleWithoutExampleOrDefaultsSaysWhatIsMissing() throws {
        let library = try PluginLibrary.load(file: TestPlugins.build(["NO_EXAMPLE"], name: "noexample", source: Self.planted))
        let checks = PluginConformance.check(library)
        XCTAssertEqual(checks.map(\.description), ["FAIL residual-linear: create — dim: required key is missing (pass a configuration)"])
    }

    func testWrongBackwardFailsTheFiniteDifferenceCheck() throws {
        let library = try PluginLibrary.load(file: TestPlugins.build(["WRONG_BACKWARD", #"NAME="wrong-backward""#],
                                                                     name: "wrongbackward"))
        let checks = PluginConformance.check(library)
        let backward = try XCTUnwrap(checks.first { $0.name == "backward against finite differences" })
        XCTAssertFalse(backward.passed)
        // dx = 3·dy where 2·dy is right: along any direction the two differ by a third.
        XCTAssertTrue(backward.detail.hasPrefix("largest relative error 3.33e-01"), backward.detail)
        XCTAssertEqual(checks.filter { !$0.passed }.count, 1, "\(checks)")
    }

    static let planted = TestPlugins.packageRoot.appendingPathComponent("Tests/ZooPluginHostTests/Plugins/planted.c")

    /// The relative error the check reports, read from its detail.
    func reportedError(_ check: PluginConformance.Check) throws -> Double {
        let words = check.detail.split(separator: " ")
        return try XCTUnwrap(words.count > 3 ? Double(words[3]) : nil, check.detail)
    }

    /// y = x + x·Wᵀ + b passes as written; each planted bug fails the gradient check, on the tensor
    /// it is in, and nothing else fails.
    func testEachPlantedBackwardBugFailsOnItsTensor() throws {
        let correct = PluginConformance.check(try PluginLibrary.load(file: TestPlugins.build([], name: "planted", source: Self.planted)))
        assertAllPass(correct)
        let backward = try XCTUnwrap(correct.first { $0.name == "backward against finite differences" })
        XCTAssertLessThan(try reportedError(backward), 1e-4, backward.detail)

        let bugs: [(define: String, tensor: String, error: ClosedRange<Double>)] = [
            // Along dW's own direction the estimate is ‖dW‖/1.01: an error of 1 − 1/1.01.
            ("SCALED_WEIGHT_GRADIENT", "parameter weight", 0.0098...0.0100),
            ("DROPPED_RESIDUAL", "input 0", 0.1...2),
            ("TRANSPOSED_WEIGHT_GRADIENT", "parameter weight", 0.1...2),
            ("BIAS_GRADIENT_OF_LAST_ROW", "parameter bias", 0.1...2),
        ]
        for bug in bugs {
            let library = try PluginLibrary.load(file: TestPlugins.build([bug.define], name: "planted", source: Self.planted))
            let checks = PluginConformance.check(library)
            XCTAssertEqual(checks.filter { !$0.passed }.map(\.name), ["backward against finite differences"], bug.define)
            let failed = try XCTUnwrap(checks.first { $0.name == "backward against finite differences" }, bug.define)
            XCTAssertTrue(failed.detail.contains("(\(bug.tensor))"), "\(bug.define): \(failed.detail)")
            XCTAssertTrue(bug.error.contains(try reportedError(failed)), "\(bug.define): \(failed.detail)")
        }
    }
}

extension PluginConformanceTests {
    func runZoo(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try BuiltProducts.runZoo(arguments)
    }

    func testZooPluginCheckPrintsEachCheckAndExitsByTheResult() throws {
        let good = try Self.exampleLibrary("ZooExampleScaledHead")
        let passing = try runZoo(["plugin", "check", good.path, "--config", #"scaled-head={"in_features": 6, "out_features": 3}"#])
        XCTAssertEqual(passing.status, 0, passing.output)
        XCTAssertTrue(passing.output.contains("ok   scaled-head: backward against finite differences"), passing.output)
        XCTAssertTrue(passing.output.hasSuffix("6 passed, 0 failed\n"), passing.output)

        let wrong = try TestPlugins.build(["WRONG_BACKWARD", #"NAME="wrong-backward""#], name: "wrongcli")
        let failing = try runZoo(["plugin", "check", wrong.path])
        XCTAssertEqual(failing.status, 1, failing.output)
        XCTAssertTrue(failing.output.contains("FAIL double: backward against finite differences"), failing.output)

        let missing = try runZoo(["plugin", "check", "/nonexistent/libnothing.so"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("plug-in file /nonexistent/libnothing.so not found"), missing.output)
    }

    func testZooPluginListShowsModulesAndDocumentation() throws {
        let listed = try runZoo(["plugin", "list", try Self.exampleLibrary("ZooExampleFocalLoss").path])
        XCTAssertEqual(listed.status, 0, listed.output)
        XCTAssertTrue(listed.output.hasPrefix("focal-loss 1.0.0 (ABI 1.3, sha256 "), listed.output)
        XCTAssertTrue(listed.output.contains("  focal-loss [loss] — "), listed.output)
    }
}
