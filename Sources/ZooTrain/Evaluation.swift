import Foundation
import ZooTensor

/// Which classes count as many-, medium- and few-shot, by training samples per class: many-shot
/// above `many` (default 100), few-shot below `few` (default 20), medium in between (inclusive).
public struct ShotThresholds: Sendable, Codable, Equatable {
    public var many: Int
    public var few: Int
    public init(many: Int = 100, few: Int = 20) { (self.many, self.few) = (many, few) }

    public func group(_ trainingCount: Int) -> ShotGroup {
        trainingCount > many ? .many : (trainingCount < few ? .few : .medium)
    }
}

public enum ShotGroup: String, Sendable, Codable, CaseIterable { case many, medium, few }

/// Accumulates predictions batch by batch and reports long-tail accuracies.
///
/// ```swift
/// var evaluation = EvaluationAccumulator(classCount: 10)
/// evaluation.add(logits: logits, labels: labels)           // per batch, logits [B, C]
/// let report = evaluation.report(trainingCounts: counts)   // top-1, top-5, many/medium/few, per class
/// ```
public struct EvaluationAccumulator: Sendable {
    public let classCount: Int
    /// `confusion[true][predicted]`.
    public private(set) var confusion: [[Int]]
    private var topFiveCorrect = 0

    public init(classCount: Int) {
        self.classCount = classCount
        confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    }

    public var sampleCount: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }

    public mutating func add(logits: Tensor, labels: [Int]) {
        precondition(logits.rank == 2 && logits.shape[1] == classCount && logits.shape[0] == labels.count,
                     "[evaluation] logits \(logits.shape) for \(labels.count) labels and \(classCount) classes")
        let columns = classCount
        logits.withScalars { values in
            for (row, label) in labels.enumerated() {
                let scores = values[(row * columns)..<((row + 1) * columns)]
                var best = scores.startIndex
                for index in scores.indices where scores[index] > scores[best] { best = index }
                confusion[label][best - row * columns] += 1
                // Top-5: the label is among the five highest scores (ties counted in the label's favour).
                let target = scores[row * columns + label]
                if scores.filter({ $0 > target }).count < 5 { topFiveCorrect += 1 }
            }
        }
    }

    /// Accuracies overall, by shot group (nil for an empty group) and per class (nil for a class
    /// without test samples).
    public func report(trainingCounts: [Int], thresholds: ShotThresholds = .init()) -> EvaluationReport {
        precondition(trainingCounts.count == classCount, "[evaluation] \(trainingCounts.count) training counts for \(classCount) classes")
        let perClass: [Double?] = confusion.enumerated().map { label, row in
            let total = row.reduce(0, +)
            return total == 0 ? nil : Double(row[label]) / Double(total)
        }
        let correct = (0..<classCount).reduce(0) { $0 + confusion[$1][$1] }
        let total = sampleCount
        var groups: [ShotGroup: Double] = [:]
        for group in ShotGroup.allCases {
            let members = (0..<classCount).filter { thresholds.group(trainingCounts[$0]) == group }
            let samples = members.reduce(0) { $0 + confusion[$1].reduce(0, +) }
            if samples > 0 { groups[group] = Double(members.reduce(0) { $0 + confusion[$1][$1] }) / Double(samples) }
        }
        return EvaluationReport(
            samples: total, top1: total == 0 ? 0 : Double(correct) / Double(total),
            top5: total == 0 ? 0 : Double(topFiveCorrect) / Double(total),
            many: groups[.many], medium: groups[.medium], few: groups[.few], perClass: perClass,
            trainingCounts: trainingCounts, thresholds: thresholds, confusion: confusion)
    }
}

/// The long-tail evaluation of one model on one test set.
public struct EvaluationReport: Sendable, Codable, Equatable {
    public var samples: Int
    public var top1: Double
    public var top5: Double
    /// Accuracy over test samples of many-, medium- and few-shot classes (nil when none).
    public var many: Double?
    public var medium: Double?
    public var few: Double?
    public var perClass: [Double?]
    public var trainingCounts: [Int]
    public var thresholds: ShotThresholds
    /// `confusion[true][predicted]`.
    public var confusion: [[Int]]

    /// A table for the terminal.
    public var table: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%6.2f%%", $0 * 100) } ?? "     —" }
        return """
            samples  top-1    top-5    many     medium   few
            \(String(samples).padding(toLength: 8, withPad: " ", startingAt: 0)) \(percent(top1))  \(percent(top5))  \
            \(percent(many))  \(percent(medium))  \(percent(few))
            """
    }

    /// The confusion matrix as CSV: a header of predicted classes, one row per true class.
    public var confusionCSV: String {
        let header = "true\\predicted," + (0..<confusion.count).map(String.init).joined(separator: ",")
        return ([header] + confusion.enumerated().map { "\($0.offset)," + $0.element.map(String.init).joined(separator: ",") })
            .joined(separator: "\n") + "\n"
    }
}
