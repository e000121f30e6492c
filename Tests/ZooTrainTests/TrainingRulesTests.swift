import Foundation
import XCTest
import ZooData
import ZooManifest
import ZooOptim
import ZooPipeline
import ZooPluginHost
import ZooTensor
import ZooTestSupport
@testable import ZooTrain

/// The manifest's sampler, augmentation and weight-decay rule reach the loader and the optimiser.
final class TrainingRulesTests: XCTestCase {
    func pipeline(_ extra: [String]) throws -> (Pipeline, ScratchFolder) {
        let plugins = try BuiltProducts.pluginFolder()
        let scratch = try ScratchFolder()
        let file = try TrainerTests.manifest(in: scratch)
        let parsed = try extra.map { try ManifestOverride($0) }
        return (try PipelineBuilder(pluginFolders: [plugins], environment: [:]).build(file: file, overrides: parsed), scratch)
    }

    func testNormsAndBiasesGoWithoutWeightDecayWhenAsked() throws {
        let (pipeline, _) = try pipeline(["optimizer.decay_norms_and_biases=false"])
        let sgd = try XCTUnwrap(OptimizerFactory.optimizer(for: pipeline) as? SGD)
        let named = pipeline.parameterGroups.flatMap { group in group.parameters.map { ("\(group.stage).\($0.0)", $0.1) } }
        func names(_ group: ZooOptim.ParameterGroup) -> [String] {
            group.parameters.map { parameter in named.first { $0.1 === parameter }!.0 }
        }
        let exempt = sgd.groups.filter { $0.weightDecay == 0 }.flatMap(names)
        let decayed = sgd.groups.filter { $0.weightDecay == nil }.flatMap(names)
        XCTAssertTrue(exempt.contains("backbone.fc1.bias"), "\(exempt)")
        XCTAssertTrue(exempt.contains("relations.0.norm1.weight"), "\(exempt)")
        XCTAssertTrue(exempt.contains("relations.0.self_attn.in_proj_bias"), "\(exempt)")
        XCTAssertEqual(Set(decayed), ["backbone.fc1.weight", "relations.0.self_attn.in_proj_weight", "relations.0.self_attn.out_proj.weight",
                                      "relations.0.linear1.weight", "relations.0.linear2.weight", "head.weight"])
        XCTAssertEqual(exempt.count + decayed.count, named.count)
        // The BatchFormer group keeps its learning-rate multiplier in both halves.
        XCTAssertEqual(sgd.groups.map(\.learningRateMultiplier), [1, 1, 0.1, 0.1, 1, 1])

        let (plain, _) = try self.pipeline([])
        let all = try XCTUnwrap(OptimizerFactory.optimizer(for: plain) as? SGD)
        XCTAssertTrue(all.groups.allSatisfy { $0.weightDecay == nil }, "by default every parameter decays")
    }

    func testTheSamplerAndAugmentationReachTheLoader() throws {
        let (pipeline, _) = try pipeline(["data.sampler=class-balanced",
                                          "data.augmentation={crop_padding: 2, horizontal_flip: true, mean: [0.5], std: [0.25]}"])
        let configuration = LoaderConfiguration(manifest: pipeline.manifest, trainCount: 130)
        XCTAssertEqual(configuration.sampling, .classBalanced)
        XCTAssertEqual(configuration.augmentation?.cropPadding, 2)
        XCTAssertEqual(configuration.augmentation?.horizontalFlip, true)
        XCTAssertEqual(configuration.augmentation?.mean, [0.5])
        XCTAssertEqual(configuration.augmentation?.standardDeviation, [0.25])
        // Evaluation normalises and nothing else.
        let transform = try XCTUnwrap(Evaluator(pipeline: pipeline).transform)
        XCTAssertEqual(transform.cropPadding, 0)
        XCTAssertFalse(transform.horizontalFlip)
        var generator = RandomGenerator(seed: 1)
        XCTAssertEqual(transform.apply(Tensor(shape: [1, 1, 1, 2], scalars: [1, 0]), generator: &generator).scalars, [2, -2])
    }

    /// A class-balanced epoch draws every class about equally often from the long-tailed CSV data.
    func testAClassBalancedEpochEvensOutTheClasses() throws {
        let (pipeline, scratch) = try pipeline(["data.sampler=class-balanced"])
        let data = try TrainingData.load(pipeline.manifest, folder: scratch.url)
        let loader = BatchLoader(dataset: data.train, configuration: LoaderConfiguration(manifest: pipeline.manifest, trainCount: 130), epoch: 0)
        var seen = [0, 0, 0]
        for batch in loader.batches { for index in batch { seen[data.train.labels[index]] += 1 } }
        XCTAssertEqual(data.classCounts, [60, 40, 30])
        XCTAssertTrue(seen.allSatisfy { abs($0 - 128 / 3) < 15 }, "\(seen)")
    }

    func testAugmentationOfSamplesThatAreNotImagesIsRefused() throws {
        let (pipeline, scratch) = try pipeline(["data.augmentation={horizontal_flip: true}"])
        let trainer = Trainer(pipeline: pipeline, options: TrainerOptions(runFolder: scratch.url.appendingPathComponent("run"),
                                                                          dataFolder: scratch.url, logEvery: 0, live: false, write: { _ in }))
        XCTAssertThrowsError(try trainer.run()) { error in
            XCTAssertEqual("\(error)", "data.augmentation: needs image samples [C, H, W]; data.train has samples of shape [4]")
            XCTAssertEqual((error as? TrainError)?.isUsage, true)
        }
    }

    /// The step profile from the manifest; and the manifest's counts agree with the cut's for the
    /// exponential profile, including where floating point lands just under a whole number.
    func testLongTailProfilesFromTheManifest() throws {
        let (pipeline, scratch) = try pipeline(["data.long_tail={ratio: 2, n_max: 30, profile: step, many_classes: 1}"])
        XCTAssertEqual(pipeline.manifest.data?.resolvedClassCounts, [30, 15, 15])
        XCTAssertEqual(try TrainingData.load(pipeline.manifest, folder: scratch.url).classCounts, [30, 15, 15])
        XCTAssertEqual(LongTailSpec(ratio: 10, nMax: 100, profile: .step).classCounts(classes: 5), [100, 100, 10, 10, 10])
        for (classes, nMax, ratio) in [(10, 1000, 100.0), (100, 500, 100), (100, 500, 10), (1000, 1280, 256), (7, 33, 3.3)] {
            XCTAssertEqual(LongTailSpec(ratio: ratio, nMax: nMax).classCounts(classes: classes),
                           LongTail.exponentialCounts(classes: classes, maximum: nMax, ratio: ratio), "\(classes) \(nMax) \(ratio)")
        }
        XCTAssertEqual(LongTailSpec(ratio: 100, nMax: 1000).classCounts(classes: 10), [1000, 599, 359, 215, 129, 77, 46, 27, 16, 10])
    }

    /// A loss that is not finite is traced to the first module holding values that are not.
    func testANonFiniteLossNamesTheModuleItComesFrom() throws {
        let (pipeline, scratch) = try pipeline([])
        let trainer = Trainer(pipeline: pipeline, options: TrainerOptions(runFolder: scratch.url, dataFolder: scratch.url))
        let weight = try XCTUnwrap(pipeline.namedState.first { $0.0 == "relations.0.linear1.weight" }?.1)
        weight.withMutableScalars { $0[3] = .infinity }
        let output = try pipeline.forward(Tensor.zeros([4, 4]), labels: [0, 1, 2, 0], training: true)
        XCTAssertEqual(trainer.nonFiniteSource(output),
                       "in relations.0 (batchformer-v1): relations.0.linear1.weight holds values that are not finite")
    }
}
