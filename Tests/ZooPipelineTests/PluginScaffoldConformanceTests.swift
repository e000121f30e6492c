import Foundation
import XCTest
import ZooPluginHost
import ZooTestSupport
import ZooValue

/// The C modules `zoo plugin new --c` writes, compiled as they are and put through the conformance
/// check: every check passes, and backward agrees with finite differences to 1e-3, ten times
/// tighter than the check's own bound, so that a gradient 1% off fails here.
final class PluginScaffoldConformanceTests: XCTestCase {
    /// The bound on the check's "largest relative error" for the generated modules.
    static let gradientBound = 1e-3

    func testEveryRolesCModulePassesTheCheckWithTightGradients() throws {
        for role in ["head", "backbone", "loss", "relation"] {
            let checks = try check(role: role)
            XCTAssertEqual(checks.map(\.name), ["create", "input shapes", "forward", "backward against finite differences",
                                                "bad configuration refused", "wrong input shape refused"], role)
            for check in checks { XCTAssertTrue(check.passed, "\(role): \(check)") }
            let error = try Self.gradientError(checks)
            XCTAssertLessThan(error, Self.gradientBound, "\(role): \(checks)")
        }
    }

    /// The same bound catches a backward 1% off (an input gradient scaled by 1.01).
    func testAGradientOnePercentOffExceedsTheBound() throws {
        let checks = try check(role: "head", replacing: ("dx[r * l->in + i] = total;", "dx[r * l->in + i] = 1.01f * total;"))
        let error = try Self.gradientError(checks)
        XCTAssertGreaterThan(error, 5 * Self.gradientBound, "\(checks)")
    }

    /// Writes the role's C module with `zoo plugin new`, makes the replacement in its source, compiles
    /// it and checks it.
    private func check(role: String, replacing: (String, String)? = nil) throws -> [PluginConformance.Check] {
        let scratch = try Scratch()
        let written = try runZoo(["plugin", "new", "gen-\(role)", "--c", "--role", role, "--dir", scratch.folder.path])
        XCTAssertEqual(written.status, 0, written.output)
        let source = scratch.folder.appendingPathComponent("gen-\(role)/gen_\(role).c")
        if let (old, new) = replacing {
            let text = try String(contentsOf: source, encoding: .utf8)
            XCTAssertTrue(text.contains(old), "gen_\(role).c has no \(old)")
            try text.replacingOccurrences(of: old, with: new).write(to: source, atomically: true, encoding: .utf8)
        }
        let library = scratch.folder.appendingPathComponent("gen-\(role)/libgen-\(role).so")
        try CCompiler.sharedLibrary(source, defines: [], output: library)
        let loaded = try PluginLibrary.load(file: library)
        let (configuration, shape) = Self.examples[role]!
        return PluginConformance.check(loaded, configurations: ["gen-\(role)": try JSONValue.parse(configuration)],
                                       inputShapes: ["gen-\(role)": [shape]])
    }

    static let examples = ["head": (#"{"in_dim": 16, "num_classes": 4}"#, [4, 16]), "backbone": (#"{"in_dim": 16, "out_dim": 8}"#, [4, 16]),
                           "loss": (#"{"smoothing": 0.1}"#, [4, 10]), "relation": (#"{"dim": 16}"#, [4, 16])]

    /// The number in the finite-difference check's "largest relative error 2.05e-05 (input 0)".
    static func gradientError(_ checks: [PluginConformance.Check]) throws -> Double {
        let backward = try XCTUnwrap(checks.first { $0.name == "backward against finite differences" })
        let prefix = "largest relative error "
        XCTAssertTrue(backward.detail.hasPrefix(prefix), backward.detail)
        return try XCTUnwrap(Double(backward.detail.dropFirst(prefix.count).prefix { !$0.isWhitespace }), backward.detail)
    }
}
