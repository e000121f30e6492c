import XCTest
import ZooPluginHost

/// The `x-zoo-from` annotation: which keys a schema binds, what each source gives, and the
/// refusal of a source the host does not know.
final class ConfigBindingTests: XCTestCase {
    func testASchemaListsItsBindingsInPropertyOrder() throws {
        let schema = try ConfigSchema(json: """
            {"type": "object", "properties": {
              "width": {"type": "integer", "x-zoo-from": "input.features"},
              "scale": {"type": "number", "default": 1},
              "counts": {"type": "array", "x-zoo-from": "data.class_counts"}}, "required": ["width"]}
            """)
        XCTAssertEqual(schema.bindings, [ConfigBinding(key: "width", source: .inputFeatures),
                                         ConfigBinding(key: "counts", source: .dataClassCounts)])
        XCTAssertTrue(schema.needs("width"))
        XCTAssertFalse(schema.needs("scale"))
        XCTAssertFalse(schema.needs("counts"))
    }

    func testAnUnknownSourceMakesTheSchemaInvalid() {
        XCTAssertThrowsError(try ConfigSchema(json: #"{"type": "object", "properties": {"w": {"x-zoo-from": "input.size"}}}"#)) {
            XCTAssertEqual(($0 as? ConfigSchemaError)?.description,
                           "properties.w.x-zoo-from: unknown source \"input.size\"; expected one of input.features, input.channels, "
                           + "input.shape, data.num_classes, data.class_counts")
        }
        XCTAssertThrowsError(try ConfigSchema(json: #"{"type": "object", "properties": {"w": {"x-zoo-from": 3}}}"#)) {
            XCTAssertEqual(($0 as? ConfigSchemaError)?.path, "properties.w.x-zoo-from")
        }
    }

    func testEachSourceGivesItsValue() {
        func value(_ source: BindingSource, _ input: [Int]?) -> JSONValue? {
            source.value(input: input, numClasses: 10, classCounts: [5, 3])
        }
        XCTAssertEqual(value(.inputFeatures, [64]), .integer(64))            // [B, D]
        XCTAssertEqual(value(.inputFeatures, [49, 32]), .integer(32))        // [B, N, D]
        XCTAssertEqual(value(.inputFeatures, [16, 7, 7]), .integer(16))      // [B, C, H, W]
        XCTAssertEqual(value(.inputChannels, [3, 32, 32]), .integer(3))
        XCTAssertNil(value(.inputChannels, [64]))
        XCTAssertEqual(value(.inputShape, [3, 8, 8]), .array([.integer(3), .integer(8), .integer(8)]))
        XCTAssertNil(value(.inputFeatures, nil))
        XCTAssertEqual(value(.dataNumClasses, nil), .integer(10))
        XCTAssertEqual(value(.dataClassCounts, nil), .array([.integer(5), .integer(3)]))
        XCTAssertNil(BindingSource.dataNumClasses.value(input: [4], numClasses: nil, classCounts: nil))
    }
}
