import XCTest
import ZooValue

/// The one escaper, the one edit distance and the one long-tail formula.
final class SharedRulesTests: XCTestCase {
    func testJSONTextEscapesQuotesBackslashesAndControlCharacters() throws {
        let text = "a\"b\\c\nd\te\u{01}\u{08}\u{0C}é😀"
        XCTAssertEqual(JSONText.quoted(text), #""a\"b\\c\nd\te\u0001\b\fé😀""#)
        XCTAssertEqual(try JSONValue.parse(JSONText.quoted(text)), .string(text), "the parser reads back what the writer wrote")
    }

    func testPrettyJSONPutsEachMemberOnItsLine() {
        let value: JSONValue = .object([("a", [1, 2]), ("b", .object([])), ("c", .array([]))])
        XCTAssertEqual(value.jsonText(pretty: true), "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}")
        XCTAssertEqual(value.jsonText(pretty: false, spaced: true), #"{"a": [1, 2], "b": {}, "c": []}"#)
    }

    func testSuggestionsRankByEditDistance() {
        XCTAssertEqual(Suggestion.distance("dropuot", "dropout"), 1, "a swap of neighbours costs 1")
        XCTAssertEqual(Suggestion.distance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestion.closest(to: "Hedas", among: ["dim", "heads"]), "heads")
        XCTAssertNil(Suggestion.closest(to: "lr", among: ["momentum", "lr_scale"]))
        XCTAssertEqual(Suggestion.nearest(2, to: "fc1.weigth", among: ["fc2.bias", "fc1.weight", "fc1.bias"]), ["fc1.weight", "fc1.bias"])
    }

    func testLongTailCountsFollowTheExponentialAndStepProfiles() {
        // CIFAR-10-LT, ratio 100: 5000 · 100^(−i/9), rounded down.
        XCTAssertEqual(LongTailCounts.exponential(classes: 10, maximum: 5000, ratio: 100),
                       [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50])
        XCTAssertEqual(LongTailCounts.exponential(classes: 3, maximum: 1000, ratio: 100), [1000, 100, 10])
        XCTAssertEqual(LongTailCounts.exponential(classes: 1, maximum: 7, ratio: 10), [7])
        XCTAssertEqual(LongTailCounts.step(classes: 4, maximum: 500, ratio: 10, manyClasses: 2), [500, 500, 50, 50])
    }
}
