import Foundation
import XCTest
@testable import ZooPluginKit

/// A group of keys, shared by adding it as a stored property.
struct SampleWidth: PluginConfiguration {
    @Key("in_dim", minimum: 1, "feature width D", from: .inputFeatures) var inDim: Int
}

/// One key of every kind the kit supports.
struct SampleConfiguration: PluginConfiguration {
    @Key("num_classes", minimum: 1, "classes C", from: .dataNumClasses) var numClasses: Int
    @Key("scale", exclusiveMinimum: 0, maximum: 64, "the temperature") var scale: Double = 16
    @Key("epsilon", minimum: 0, exclusiveMaximum: 1) var epsilon: Float = 0.1
    @Key("bias", "a bias per class") var bias = false
    @Key("mode", oneOf: ["fixed", "learned"], "how the \"scale\" is set") var mode = "fixed"
    @Key("hidden", minimum: 1) var hidden = [8, 4]
    @Key("class_counts", exclusiveMinimum: 0, from: .dataClassCounts) var classCounts: [Double]?
    @Key("ffn_dim", minimum: 1) var ffnDim: Int?
    @Key("weights", "a file") var weights: String? = nil
    var width = SampleWidth()
}

/// The JSON Schema the kit derives from `Key` declarations, and the decoding it derives with it.
final class ConfigurationTests: XCTestCase {
    func decode(_ json: String) throws -> SampleConfiguration {
        try SampleConfiguration.decode(json, module: "sample")
    }

    /// The message of a configuration the kit refuses.
    func refusal(_ json: String, as type: any PluginConfiguration.Type = SampleConfiguration.self,
                 file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try type.decode(json, module: "sample")
            XCTFail("decoded \(json)", file: file, line: line)
            return ""
        } catch let error as PluginError {
            XCTAssertEqual(error.code, .invalidConfiguration, file: file, line: line)
            return error.message
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return ""
        }
    }

    func testTheSchemaIsDerivedFromTheDeclarations() {
        XCTAssertEqual(SampleConfiguration.schema, #"""
            {"type": "object",
             "properties": {
               "num_classes": {"type": "integer", "minimum": 1, "description": "classes C", "x-zoo-from": "data.num_classes"},
               "scale": {"type": "number", "exclusiveMinimum": 0, "maximum": 64, "default": 16, "description": "the temperature"},
               "epsilon": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.1},
               "bias": {"type": "boolean", "default": false, "description": "a bias per class"},
               "mode": {"type": "string", "enum": ["fixed", "learned"], "default": "fixed", "description": "how the \"scale\" is set"},
               "hidden": {"type": "array", "items": {"type": "integer", "minimum": 1}, "default": [8, 4]},
               "class_counts": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "x-zoo-from": "data.class_counts"},
               "ffn_dim": {"type": "integer", "minimum": 1},
               "weights": {"type": ["string", "null"], "default": null, "description": "a file"},
               "in_dim": {"type": "integer", "minimum": 1, "description": "feature width D", "x-zoo-from": "input.features"}},
             "required": ["num_classes", "in_dim"],
             "additionalProperties": false}
            """#)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(SampleConfiguration.schema.utf8)) as? [String: Any])
        XCTAssertEqual(NoConfiguration.schema, """
            {"type": "object",
             "properties": {},
             "additionalProperties": false}
            """)
    }

    func testDecodingFillsTheDefaults() throws {
        let configuration = try decode(#"{"num_classes": 3, "in_dim": 5}"#)
        XCTAssertEqual(configuration.numClasses, 3)
        XCTAssertEqual(configuration.width.inDim, 5)
        XCTAssertEqual(configuration.scale, 16)
        XCTAssertEqual(configuration.epsilon, 0.1)
        XCTAssertEqual(configuration.bias, false)
        XCTAssertEqual(configuration.mode, "fixed")
        XCTAssertEqual(configuration.hidden, [8, 4])
        XCTAssertNil(configuration.classCounts)
        XCTAssertNil(configuration.ffnDim)
        XCTAssertNil(configuration.weights)
    }

    func testDecodingTakesEveryGivenValue() throws {
        let configuration = try decode(#"""
            {"num_classes": 3.0, "in_dim": 5, "scale": 2.5, "epsilon": 0, "bias": true, "mode": "learned", "hidden": [2],
             "class_counts": [10, 2.5], "ffn_dim": 7, "weights": "w.safetensors"}
            """#)
        XCTAssertEqual(configuration.numClasses, 3, "an integral number is an integer")
        XCTAssertEqual(configuration.scale, 2.5)
        XCTAssertEqual(configuration.epsilon, 0)
        XCTAssertEqual(configuration.bias, true)
        XCTAssertEqual(configuration.mode, "learned")
        XCTAssertEqual(configuration.hidden, [2])
        XCTAssertEqual(configuration.classCounts, [10, 2.5])
        XCTAssertEqual(configuration.ffnDim, 7)
        XCTAssertEqual(configuration.weights, "w.safetensors")
        XCTAssertNil(try decode(#"{"num_classes": 3, "in_dim": 5, "weights": null}"#).weights, "null for a key whose default is nil")
    }

    func testDecodingRefusesWrongValuesNamingEachKey() {
        XCTAssertEqual(refusal(""), "sample: invalid configuration: missing key `num_classes`; missing key `in_dim`")
        XCTAssertEqual(refusal(#"""
            {"num_classes": "3", "scale": 0, "epsilon": 1, "bias": 1, "mode": "free", "hidden": [2, 0, "x"],
             "class_counts": 5, "ffn_dim": null, "weights": 3, "in_dim": -2}
            """#), [
            "sample: invalid configuration: key `num_classes`: expected an integer >= 1, found \"3\"",
            "key `scale`: expected a number in (0, 64], found 0",
            "key `epsilon`: expected a number in [0, 1), found 1",
            "key `bias`: expected a boolean, found 1",
            "key `mode`: expected one of \"fixed\", \"learned\", found \"free\"",
            "key `hidden[1]`: expected an integer >= 1, found 0",
            "key `hidden[2]`: expected an integer >= 1, found \"x\"",
            "key `class_counts`: expected an array of numbers > 0, found 5",
            "key `ffn_dim`: expected an integer >= 1, found null",
            "key `weights`: expected a string or null, found 3",
            "key `in_dim`: expected an integer >= 1, found -2",
        ].joined(separator: "; "))
        XCTAssertEqual(refusal(#"{"num_classes": 2.5, "in_dim": 1e30}"#),
                       "sample: invalid configuration: key `num_classes`: expected an integer >= 1, found 2.5; "
                       + "key `in_dim`: expected an integer >= 1, found 1e+30")
        XCTAssertEqual(refusal(#"{"num_classes": 2, "in_dim": 1, "class_counts": [3, 0]}"#),
                       "sample: invalid configuration: key `class_counts[1]`: expected a number > 0, found 0")
    }

    func testDecodingRefusesUnknownKeysAndText() {
        XCTAssertEqual(refusal(#"{"in_dim": 4, "width": 1, "depth": 2}"#, as: SampleWidth.self),
                       "sample: invalid configuration: unknown keys `depth`, `width`; the keys are `in_dim`")
        XCTAssertEqual(refusal(#"{"x": 1}"#, as: NoConfiguration.self),
                       "sample: invalid configuration: unknown key `x` (the configuration takes no keys)")
        XCTAssertEqual(refusal(#"[1, {"a": true}]"#), #"sample: invalid configuration: expected a JSON object, found [1, {"a": true}]"#)
        XCTAssertTrue(refusal(#"{"in_dim": "#).hasPrefix("sample: invalid configuration: not valid JSON ("))
    }

    func testJSONDecoderDecodesThroughTheDeclarations() throws {
        let configuration = try JSONDecoder().decode(SampleWidth.self, from: Data(#"{"in_dim": 6}"#.utf8))
        XCTAssertEqual(configuration.inDim, 6)
        XCTAssertThrowsError(try JSONDecoder().decode(SampleWidth.self, from: Data(#"{"in_dim": 0}"#.utf8))) { error in
            XCTAssertEqual(error as? PluginError,
                           .invalidConfiguration("invalid configuration: key `in_dim`: expected an integer >= 1, found 0"))
        }
    }

    func testConfigurationsAreValues() throws {
        let decoded = try decode(#"{"num_classes": 3, "in_dim": 5}"#)
        var copy = decoded
        copy.scale = 2
        copy.width.inDim = 9
        XCTAssertEqual(decoded.scale, 16)
        XCTAssertEqual(decoded.width.inDim, 5)
        XCTAssertEqual(copy.scale, 2)
        XCTAssertEqual(copy.width.inDim, 9)
        var made = SampleWidth()
        made.inDim = 4
        XCTAssertEqual(made.inDim, 4)
    }
}
