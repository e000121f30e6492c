import CZooPlugin
import Foundation
import XCTest
@testable import ZooPluginKit
import ZooTensor
import ZooTestSupport
import ZooValue

/// `DeclaredHead` with example configurations: one whose input is implied, one with its input.
final class ExampledHead: Module, Head {
    typealias Configuration = DeclaredHead.Configuration
    static let name = "exampled-head"
    static let summary = "declared-head with examples, for tests"
    static let examples = [ModuleExample(#"{"num_classes": 3, "in_dim": 4}"#),
                           ModuleExample(#"{"num_classes": 2, "in_dim": 6, "scale": 0.5}"#, inputs: [[5, 6]])]
    init(configuration: Configuration, host: PluginHost) throws {}
    func forward(_ input: Tensor) throws -> Tensor { input }
    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// An example that its configuration does not decode.
final class WrongExampleHead: Module, Head {
    typealias Configuration = DeclaredHead.Configuration
    static let name = "wrong-example"
    static let summary = "an example with scale 0, for tests"
    static let examples = [ModuleExample(#"{"num_classes": 3, "in_dim": 4, "scale": 0}"#)]
    init(configuration: Configuration, host: PluginHost) throws {}
    func forward(_ input: Tensor) throws -> Tensor { input }
    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

final class ModuleExampleTests: XCTestCase {
    func testThePublishedSchemaIsTheDerivedOneWithTheExamples() throws {
        let published = try JSONValue.parse(try ExampledHead.publishedSchema())
        guard case .object(var members) = published else { return XCTFail("\(published)") }
        XCTAssertEqual(members.suffix(2).map(\.key), ["examples", "x-zoo-example-inputs"])
        XCTAssertEqual(members.last?.value, try JSONValue.parse("[null, [[5, 6]]]"))
        XCTAssertEqual(members[members.count - 2].value,
                       try JSONValue.parse(#"[{"num_classes": 3, "in_dim": 4}, {"num_classes": 2, "in_dim": 6, "scale": 0.5}]"#))
        members.removeLast(2)
        XCTAssertEqual(JSONValue.object(members), try JSONValue.parse(ExampledHead.configurationSchema))
        XCTAssertEqual(try DeclaredHead.publishedSchema(), DeclaredHead.configurationSchema, "no examples: the schema as declared")
    }

    func testExportRefusesAnExampleItsConfigurationDoesNotDecode() {
        let error = ErrorRecord()
        XCTAssertNil(ZooPlugin.export(name: "kit-wrong-example", version: "1", modules: [WrongExampleHead.self],
                                      host: TestHost.shared.pointer, error: error.pointer))
        XCTAssertEqual(error.status, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(error.message, "plug-in kit-wrong-example: module wrong-example's example 1: "
                       + "wrong-example: invalid configuration: key `scale`: expected a number > 0, found 0")
    }
}
