import XCTest
import ZooValue

final class JSONValueParsingTests: XCTestCase {
    func testParsesEveryKindAndKeepsOrder() throws {
        let value = try JSONValue.parse(#" {"b": [1, -2.5e1, true, false, null], "a": {"x": "y\n\u00e9\ud83d\ude00"}, "c": 0.1} "#)
        XCTAssertEqual(value.jsonText, #"{"b":[1,-25.0,true,false,null],"a":{"x":"y\né😀"},"c":0.1}"#)
        XCTAssertEqual(value.description, #"{"b": [1, -25.0, true, false, null], "a": {"x": "y\né😀"}, "c": 0.1}"#)
        guard case .object(let members) = value else { return XCTFail("expected an object") }
        XCTAssertEqual(members.map(\.key), ["b", "a", "c"])
        XCTAssertEqual(value["b"], [1, -25, true, false, nil])
    }

    func testIntegersStayExact() throws {
        XCTAssertEqual(try JSONValue.parse("9007199254740993").jsonText, "9007199254740993")
        XCTAssertEqual(try JSONValue.parse("2").typeName, "integer")
        XCTAssertEqual(try JSONValue.parse("2.0").typeName, "number")
        XCTAssertEqual(try JSONValue.parse("2.0"), .integer(2), "JSON equality: 2.0 == 2")
        XCTAssertEqual(JSONValue.object([("a", 1), ("b", 2)]), JSONValue.object([("b", 2), ("a", 1)]))
    }

    func testErrorsSayWhereAndWhat() {
        func failure(_ text: String) -> String {
            do {
                _ = try JSONValue.parse(text)
                return "parsed"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(failure("{\"a\": 1,\n \"b\" 2}"), "line 2, column 6: expected ':' after the key, found '2'")
        XCTAssertEqual(failure("[1, 2"), "line 1, column 6: expected ',' or ']', found end of text")
        XCTAssertEqual(failure("01"), "line 1, column 1: a number must not start with 0")
        XCTAssertEqual(failure("\"abc"), "line 1, column 1: unterminated string")
        XCTAssertEqual(failure("{} x"), "line 1, column 4: unexpected 'x' after the value")
        XCTAssertEqual(failure("tru"), "line 1, column 1: expected true")
        XCTAssertEqual(failure(String(repeating: "[", count: 300)), "line 1, column 257: nesting deeper than 256 levels")
    }

    func testEscapesControlCharactersWhenWriting() {
        XCTAssertEqual(JSONValue.string("a\"b\\c\u{1}\t").jsonText, #""a\"b\\c\u0001\t""#)
    }
}
