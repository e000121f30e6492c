import Foundation
import XCTest
import ZooData
import ZooManifest
import ZooPipeline
import ZooTestSupport
@testable import ZooTrain

/// The evaluator on its own, as `zoo eval` uses it, against the trainer's final evaluation.
final class EvaluatorTests: XCTestCase {
    func testTheEvaluatorAloneGivesTheReportOfTheTrainersLastEvaluation() throws {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try TrainerTests.manifest(in: scratch)
        let pipeline = try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file)
        let options = TrainerOptions(runFolder: scratch.url.appendingPathComponent("run"), dataFolder: scratch.url, logEvery: 0,
                                     live: false, write: { _ in })
        let trained = try XCTUnwrap(try Trainer(pipeline: pipeline, options: options).run().evaluation)

        let evaluator = Evaluator(pipeline: pipeline)
        XCTAssertEqual(evaluator.batchSize, 16, "the training batch size when evaluation names none")
        XCTAssertNil(evaluator.transform, "no normalisation without augmentation")
        let test = try TrainingData.loadTest(pipeline.manifest, folder: scratch.url)
        let report = try evaluator.evaluate(test, trainingCounts: trained.trainingCounts)
        XCTAssertEqual(report, trained)
        XCTAssertEqual(report.samples, 60)

        // Written by itself, the report makes the same files as the run's.
        let alone = RunFolder(scratch.url.appendingPathComponent("alone/eval"))
        try alone.create()
        try alone.writeEvaluation(report)
        for name in ["evaluation.json", "confusion.csv", "per-class-accuracy.svg"] {
            XCTAssertEqual(try Data(contentsOf: alone.url.appendingPathComponent(name)),
                           try Data(contentsOf: scratch.url.appendingPathComponent("run").appendingPathComponent(name)), name)
        }
    }
}
