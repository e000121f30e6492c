import Foundation

/// The metrics of one epoch, as written to `metrics.jsonl` and `metrics.csv`.
public struct EpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var learningRate: Double
    public var samplesPerSecond: Double
    public var seconds: Double
    public var testTop1: Double?
    public var testTop5: Double?
    public var testMany: Double?
    public var testMedium: Double?
    public var testFew: Double?

    public init(epoch: Int, step: Int, loss: Double, trainAccuracy: Double, learningRate: Double, samplesPerSecond: Double,
                seconds: Double, testTop1: Double? = nil, testTop5: Double? = nil, testMany: Double? = nil,
                testMedium: Double? = nil, testFew: Double? = nil) {
        (self.epoch, self.step, self.loss, self.trainAccuracy) = (epoch, step, loss, trainAccuracy)
        (self.learningRate, self.samplesPerSecond, self.seconds) = (learningRate, samplesPerSecond, seconds)
        (self.testTop1, self.testTop5, self.testMany, self.testMedium, self.testFew) = (testTop1, testTop5, testMany, testMedium, testFew)
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step, loss, seconds
        case trainAccuracy = "train_accuracy", learningRate = "learning_rate", samplesPerSecond = "samples_per_second"
        case testTop1 = "test_top1", testTop5 = "test_top5", testMany = "test_many", testMedium = "test_medium", testFew = "test_few"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(step, forKey: .step)
        try container.encode(loss, forKey: .loss)
        try container.encode(trainAccuracy, forKey: .trainAccuracy)
        try container.encode(learningRate, forKey: .learningRate)
        try container.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try container.encode(seconds, forKey: .seconds)
        // Every key on every line: null when the epoch was not evaluated.
        for (key, value) in [(CodingKeys.testTop1, testTop1), (.testTop5, testTop5), (.testMany, testMany),
                             (.testMedium, testMedium), (.testFew, testFew)] {
            try container.encode(value, forKey: key)
        }
    }

    static let csvHeader = "epoch,step,loss,train_accuracy,learning_rate,samples_per_second,seconds,test_top1,test_top5,test_many,test_medium,test_few"

    var csvLine: String {
        func cell(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return ["\(epoch)", "\(step)", "\(loss)", "\(trainAccuracy)", "\(learningRate)", "\(samplesPerSecond)", "\(seconds)",
                cell(testTop1), cell(testTop5), cell(testMany), cell(testMedium), cell(testFew)].joined(separator: ",")
    }
}
