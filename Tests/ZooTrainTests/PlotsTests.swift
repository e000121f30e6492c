import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import ZooTensor
import ZooTrain

/// The SVG figures are well-formed XML with what they promise.
final class PlotsTests: XCTestCase {
    /// Counts elements by name, failing on malformed XML.
    final class Counter: NSObject, XMLParserDelegate {
        var counts: [String: Int] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            counts[name, default: 0] += 1
        }
    }

    func elements(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Int] {
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = Counter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "malformed SVG: \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        return counter.counts
    }

    func testPerClassAccuracyHasAShadeAndABarPerClass() {
        var evaluation = EvaluationAccumulator(classCount: 3)
        evaluation.add(logits: Tensor(shape: [3, 3], scalars: [5, 0, 0, 0, 5, 0, 5, 0, 0]), labels: [0, 1, 2])
        let svg = Plots.perClassAccuracy(evaluation.report(trainingCounts: [500, 50, 5]))
        let counts = elements(svg)
        XCTAssertEqual(counts["rect"], 1 + 2 * 3, "the background, then a shade and a bar per class")
        XCTAssertTrue(svg.contains("fill=\"#fce8e6\""), "the few-shot class is shaded red")
        XCTAssertTrue(svg.contains(">500</text>") && svg.contains(">5</text>"), "training counts under the bars")
    }

    func testTrainingCurvesMarkTheEvaluatedEpochs() {
        let epochs = (1...4).map { epoch in
            EpochMetrics(epoch: epoch, step: epoch * 10, loss: 2 / Double(epoch), trainAccuracy: 0.5, learningRate: 0.1,
                         samplesPerSecond: 100, seconds: 1, testTop1: epoch % 2 == 0 ? 0.5 : nil)
        }
        let counts = elements(Plots.trainingCurves(epochs))
        XCTAssertEqual(counts["polyline"], 1)
        XCTAssertEqual(counts["circle"], 2)
    }
}
