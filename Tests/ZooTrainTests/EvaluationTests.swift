import XCTest
import ZooTensor
import ZooTrain

/// Long-tail metrics on hand-made predictions with known answers.
final class EvaluationTests: XCTestCase {
    /// Logits whose argmax is `predicted[i]`, with class `second[i]` the runner-up.
    func logits(_ predicted: [Int], classes: Int) -> Tensor {
        Tensor(shape: [predicted.count, classes], scalars: predicted.flatMap { p in (0..<classes).map { $0 == p ? 10 : -Float($0) } })
    }

    func testAccuraciesByShotGroup() {
        // Classes 0 (many, 500 training samples), 1 (medium, 50), 2 (few, 5).
        var evaluation = EvaluationAccumulator(classCount: 3)
        evaluation.add(logits: logits([0, 0, 0, 1], classes: 3), labels: [0, 0, 0, 0])   // class 0: 3 of 4
        evaluation.add(logits: logits([1, 2], classes: 3), labels: [1, 1])               // class 1: 1 of 2
        evaluation.add(logits: logits([0, 0, 2, 0], classes: 3), labels: [2, 2, 2, 2])   // class 2: 1 of 4
        let report = evaluation.report(trainingCounts: [500, 50, 5])
        XCTAssertEqual(report.samples, 10)
        XCTAssertEqual(report.top1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(report.many, 0.75)
        XCTAssertEqual(report.medium, 0.5)
        XCTAssertEqual(report.few, 0.25)
        XCTAssertEqual(report.perClass, [0.75, 0.5, 0.25])
        XCTAssertEqual(report.top5, 1, "with 3 classes every label is in the top five")
        XCTAssertEqual(report.confusion, [[3, 1, 0], [0, 1, 1], [3, 0, 1]])
        XCTAssertEqual(report.confusionCSV, "true\\predicted,0,1,2\n0,3,1,0\n1,0,1,1\n2,3,0,1\n")
    }

    func testThresholdBoundariesAndEmptyGroups() {
        let thresholds = ShotThresholds()
        XCTAssertEqual([101, 100, 20, 19].map { thresholds.group($0) }, [.many, .medium, .medium, .few])
        var evaluation = EvaluationAccumulator(classCount: 2)
        evaluation.add(logits: logits([0], classes: 2), labels: [0])
        let report = evaluation.report(trainingCounts: [200, 150])
        XCTAssertNil(report.medium)
        XCTAssertNil(report.few)
        XCTAssertEqual(report.perClass, [1, nil])
    }

    func testTopFive() {
        // Label 6 ranks sixth in the first row and fifth in the second.
        let scores: [Float] = [9, 8, 7, 6, 5, 0, 4, 0,   9, 8, 7, 6, 0, 0, 5, 0]
        var evaluation = EvaluationAccumulator(classCount: 8)
        evaluation.add(logits: Tensor(shape: [2, 8], scalars: scores), labels: [6, 6])
        let report = evaluation.report(trainingCounts: Array(repeating: 10, count: 8))
        XCTAssertEqual(report.top1, 0)
        XCTAssertEqual(report.top5, 0.5)
    }
}
