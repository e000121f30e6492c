import Foundation
import XCTest
import ZooPluginHost
import ZooTensor
import ZooTestSupport

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

    func testCExampleWithoutConfigurationSaysWhatIsMissing() throws {
        let checks = PluginConformance.check(try Self.exampleLibrary("ZooExampleScaledHead"))
        XCTAssertEqual(checks.count, 1)
        XCTAssertFalse(checks[0].passed)
        XCTAssertEqual(checks[0].description, "FAIL scaled-head: create — in_features: required key is missing; "
                       + "out_features: required key is missing (pass a configuration)")
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
