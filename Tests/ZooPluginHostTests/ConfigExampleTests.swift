import XCTest
import ZooPluginHost
import ZooValue

/// A schema's example configurations (`examples`, `x-zoo-example-inputs`): what the check runs.
final class ConfigExampleTests: XCTestCase {
    func schema(_ rest: String) throws -> ConfigSchema {
        try ConfigSchema(json: """
            {"type": "object", "additionalProperties": false, "required": ["width"],
             "properties": {"width": {"type": "integer", "minimum": 1, "x-zoo-from": "input.features"},
                            "depth": {"type": "integer", "minimum": 1, "default": 2}}\(rest)}
            """)
    }

    func refusal(_ rest: String) -> String {
        do {
            _ = try schema(rest)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func testExamplesAndTheirInputShapesAreRead() throws {
        let examples = try schema(#", "examples": [{"width": 8}, {"width": 3, "depth": 1}], "x-zoo-example-inputs": [null, [[2, 3, 5, 5]]]"#).examples
        XCTAssertEqual(examples, [ConfigExample(configuration: ["width": 8]),
                                  ConfigExample(configuration: ["width": 3, "depth": 1], inputShapes: [[2, 3, 5, 5]])])
        XCTAssertEqual(try schema("").examples, [])
    }

    func testAnExampleThatDoesNotMatchTheSchemaIsRefused() {
        XCTAssertEqual(refusal(#", "examples": [{"width": 8}, {"width": 0}]"#),
                       "examples[1]: the example does not match the schema: width: expected at least 1, found 0")
        XCTAssertEqual(refusal(#", "examples": [{"depth": 3}]"#),
                       "examples[0]: the example does not match the schema: width: required key is missing")
    }

    func testMalformedExamplesAreRefusedWithTheirPath() {
        XCTAssertEqual(refusal(#", "examples": {"width": 8}"#),
                       #"examples: expected an array of configurations, found {"width": 8}"#)
        XCTAssertEqual(refusal(#", "examples": [3]"#), "examples[0]: expected a configuration object, found 3")
        XCTAssertEqual(refusal(#", "x-zoo-example-inputs": [[[4, 8]]]"#),
                       "x-zoo-example-inputs: input shapes without `examples` to go with")
    }
}
