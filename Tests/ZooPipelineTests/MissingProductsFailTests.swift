import Foundation
import XCTest
import ZooTestSupport

/// A built-in plug-in that is missing makes the tests that need it fail, never skip: the test
/// bundle runs one such test of its own with the built products pointed at an empty folder.
final class MissingProductsFailTests: XCTestCase {
    func runOwnTest(_ name: String, productsIn folder: URL) throws -> (status: Int32, output: String) {
        let bundle = try XCTUnwrap(Bundle.main.executableURL, "the test bundle's executable")
        let process = Process()
        process.executableURL = bundle
        process.arguments = [name]
        var environment = ProcessInfo.processInfo.environment
        environment["ZOO_BUILT_PRODUCTS"] = folder.path
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func testAMissingBuiltInPlugInFailsThePipelineTestInsteadOfSkippingIt() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-no-products-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let test = "ZooPipelineTests.PipelineBuiltInTests/testTwoStreamTrainingDoublesTheBatchAndEvaluationSkipsTheRelation"
        let (status, output) = try runOwnTest(test, productsIn: empty)
        XCTAssertNotEqual(status, 0, output)
        XCTAssertTrue(output.contains("Executed 1 test, with 1 failure"), output)
        XCTAssertFalse(output.contains("skipped"), output)
        XCTAssertTrue(output.contains("libZooBackbones.so not found in \(empty.path)"), output)
    }
}
