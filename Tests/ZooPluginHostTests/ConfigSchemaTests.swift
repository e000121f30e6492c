import XCTest
import ZooPluginHost
import ZooValue

final class ConfigSchemaValidationTests: XCTestCase {
    /// A schema like BatchFormer's.
    let schema = try! ConfigSchema(json: """
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["dim"],
          "properties": {
            "dim": {"type": "integer", "minimum": 1},
            "heads": {"type": "integer", "minimum": 1, "default": 4},
            "dropout": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.5},
            "activation": {"type": "string", "enum": ["relu", "gelu"], "default": "relu"},
            "bias": {"type": "boolean", "default": true},
            "widths": {"type": "array", "items": {"type": "integer", "exclusiveMinimum": 0}},
            "attention": {
              "type": "object",
              "additionalProperties": false,
              "properties": {"scale": {"type": "number", "exclusiveMinimum": 0, "maximum": 10}}
            }
          }
        }
        """)

    func problems(_ config: JSONValue, prefix: String = "") -> [String] {
        schema.validate(config, prefix: prefix).problems.map(\.description)
    }

    func testFillsDefaultsInSchemaOrderAfterTheGivenKeys() throws {
        XCTAssertEqual(try schema.validatedConfigJSON(["dim": 64, "dropout": 0.1]),
                       #"{"dim":64,"dropout":0.1,"heads":4,"activation":"relu","bias":true}"#)
        XCTAssertEqual(try schema.validatedConfigJSON(#"{"dim": 8, "attention": {}}"#),
                       #"{"dim":8,"attention":{},"heads":4,"dropout":0.5,"activation":"relu","bias":true}"#)
    }

    func testTypes() {
        XCTAssertEqual(problems(["dim": 8, "heads": "four"]), [#"heads: expected integer, found "four""#])
        XCTAssertEqual(problems(["dim": 8, "heads": 4.5]), ["heads: expected integer, found 4.5"])
        XCTAssertEqual(problems(["dim": 8, "dropout": "0.1"]), [#"dropout: expected number, found "0.1""#])
        XCTAssertEqual(problems(["dim": 8, "activation": 3]), ["activation: expected string, found 3"])
        XCTAssertEqual(problems(["dim": 8, "bias": 1]), ["bias: expected boolean, found 1"])
        XCTAssertEqual(problems(["dim": 8, "widths": 3]), ["widths: expected array, found 3"])
        XCTAssertEqual(problems(["dim": 8, "attention": [1, 2]]), ["attention: expected object, found [1, 2]"])
        XCTAssertEqual(problems(["dim": nil]), ["dim: expected integer, found null"])
        XCTAssertEqual(problems([1, 2]), ["expected object, found [1, 2]"])
        XCTAssertEqual(problems([1, 2], prefix: "model.relation"), ["model.relation: expected object, found [1, 2]"])
    }

    func testIntegralNumbersPassAsIntegers() throws {
        XCTAssertEqual(try schema.validatedConfigJSON(#"{"dim": 64.0, "dropout": 0}"#),
                       #"{"dim":64,"dropout":0,"heads":4,"activation":"relu","bias":true}"#)
    }

    func testRangesAndEnums() {
        XCTAssertEqual(problems(["dim": 0]), ["dim: expected at least 1, found 0"])
        XCTAssertEqual(problems(["dim": 8, "dropout": 1]), ["dropout: expected less than 1, found 1"])
        XCTAssertEqual(problems(["dim": 8, "dropout": -0.5]), ["dropout: expected at least 0, found -0.5"])
        XCTAssertEqual(problems(["dim": 8, "attention": ["scale": 0]]), ["attention.scale: expected more than 0, found 0"])
        XCTAssertEqual(problems(["dim": 8, "attention": ["scale": 10.5]]), ["attention.scale: expected at most 10, found 10.5"])
        XCTAssertEqual(problems(["dim": 8, "activation": "tanh"]), [#"activation: expected one of "relu", "gelu", found "tanh""#])
        XCTAssertEqual(problems(["dim": 8, "widths": [4, 0, "x"]]),
                       ["widths[1]: expected more than 0, found 0", #"widths[2]: expected integer, found "x""#])
    }

    func testUnknownKeysSuggestTheClosestName() {
        XCTAssertEqual(problems(["dim": 8, "dropuot": 0.1]), ["dropuot: unknown key (did you mean dropout?)"])
        XCTAssertEqual(problems(["dim": 8, "Heads": 2]), ["Heads: unknown key (did you mean heads?)"])
        XCTAssertEqual(problems(["dim": 8, "attention": ["scael": 1, "temperature": 2]]), [
            "attention.scael: unknown key (did you mean scale?)",
            "attention.temperature: unknown key (known keys: scale)",
        ])
    }

    func testRequiredAndDuplicateKeys() throws {
        XCTAssertEqual(problems([:]), ["dim: required key is missing"])
        XCTAssertEqual(problems(try JSONValue.parse(#"{"dim": 1, "dim": 2}"#)), ["dim: key appears more than once"])
    }

    func testReportsEveryProblemAtOnce() {
        let config: JSONValue = ["heads": "four", "dropuot": 0.1, "dropout": 2, "activation": "tanh", "widths": [1, -1]]
        XCTAssertThrowsError(try schema.validatedConfigJSON(config)) { error in
            let problems = (error as! ConfigValidationError).problems.map(\.description)
            XCTAssertEqual(problems, [
                #"heads: expected integer, found "four""#,
                "dropuot: unknown key (did you mean dropout?)",
                "dropout: expected less than 1, found 2",
                #"activation: expected one of "relu", "gelu", found "tanh""#,
                "widths[1]: expected more than 0, found -1",
                "dim: required key is missing",
            ])
            XCTAssertEqual("\(error)", problems.joined(separator: "; "))
        }
    }

    func testOpenObjectsAndAdditionalPropertySchemas() throws {
        let open = try ConfigSchema(json: #"{"properties": {"a": {"type": "integer"}}}"#)
        XCTAssertEqual(try open.validatedConfigJSON(#"{"a": 1, "other": [true]}"#), #"{"a":1,"other":[true]}"#)
        let typed = try ConfigSchema(json: #"{"type": "object", "additionalProperties": {"type": "number"}}"#)
        XCTAssertEqual(typed.validate(["x": 1, "y": "z"]).problems.map(\.description), [#"y: expected number, found "z""#])
        let empty = try ConfigSchema(json: #"{"type": "object", "properties": {}, "additionalProperties": false}"#)
        XCTAssertEqual(empty.validate(["x": 1]).problems.map(\.description), ["x: unknown key (no keys are allowed here)"])
    }

    func testTypeListsAndDraft4ExclusiveBounds() throws {
        let schema = try ConfigSchema(json: """
            {"type": "object", "properties": {
               "seed": {"type": ["integer", "null"], "default": null},
               "rate": {"type": "number", "minimum": 0, "exclusiveMinimum": true}}}
            """)
        XCTAssertEqual(try schema.validatedConfigJSON(["rate": 0.5]), #"{"rate":0.5,"seed":null}"#)
        XCTAssertEqual(schema.validate(["seed": "x", "rate": 0]).problems.map(\.description),
                       [#"seed: expected integer or null, found "x""#, "rate: expected more than 0, found 0"])
    }

    func testRejectsSchemasOutsideTheSubset() {
        func schemaError(_ text: String) -> String {
            do {
                _ = try ConfigSchema(json: text)
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(schemaError("[1, 2]"), "expected a JSON object, found [1, 2]")
        XCTAssertEqual(schemaError("{"), "not valid JSON (line 1, column 2: expected a key in quotes, found end of text)")
        XCTAssertEqual(schemaError(#"{"type": "array"}"#), "type: a module configuration is an object; the schema says array")
        XCTAssertEqual(schemaError(#"{"properties": {"a": {"type": "float"}}}"#),
                       "properties.a.type: unknown type float; expected one of object, number, integer, string, boolean, array, null")
        XCTAssertEqual(schemaError(#"{"properties": {"a": {"type": "integer", "minimum": "1"}}}"#),
                       #"properties.a.minimum: expected a number, found "1""#)
        XCTAssertEqual(schemaError(#"{"properties": {"a": {"type": "integer", "minimum": 1, "default": 0}}}"#),
                       "properties.a.default: the default does not fit its own schema: expected at least 1, found 0")
        XCTAssertEqual(schemaError(#"{"required": "a"}"#), #"required: expected a list of key names, found "a""#)
        XCTAssertEqual(schemaError(#"{"enum": []}"#), "enum: expected a non-empty list of values, found []")
    }

    func testEditDistance() {
        XCTAssertEqual(Suggestion.distance("dropuot", "dropout"), 1)
        XCTAssertEqual(Suggestion.distance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestion.distance("", "abc"), 3)
        XCTAssertEqual(Suggestion.closest(to: "lr", among: ["momentum", "lr_scale"]), nil)
        XCTAssertEqual(Suggestion.closest(to: "hedas", among: ["dim", "heads"]), "heads")
    }
}
