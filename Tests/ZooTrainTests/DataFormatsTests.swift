import Foundation
import XCTest
import ZooData
import ZooManifest
@testable import ZooTrain

/// How the manifest's `data` section reaches ZooData's readers: a path's problem named by its
/// manifest key, with the exit status it calls for; the typed sampler.
final class DataFormatsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/data")

    func manifest(_ data: DataSpec) -> Manifest {
        Manifest(model: ModelSpec(backbone: ModuleSpec(module: "mlp"), head: ModuleSpec(module: "linear"),
                                  losses: [LossSpec(module: "cross-entropy")]), data: data)
    }

    /// The `TrainError` that loading `data` throws.
    func trainError(_ data: DataSpec, folder: URL = fixtures) -> TrainError? {
        do { _ = try TrainingData.load(manifest(data), folder: folder); return nil } catch { return error as? TrainError }
    }

    func testLayoutErrorsAreNamedByTheirKey() {
        for (kind, usage) in [(DataLayoutError.Kind.notFound, true), (.misnamed, true), (.missingArrays, false)] {
            XCTAssertThrowsError(try TrainingData.keyed("data.test") { () throws -> Int in throw DataLayoutError(kind, "what") }) { error in
                XCTAssertEqual((error as? TrainError)?.message, "data.test: what")
                XCTAssertEqual((error as? TrainError)?.isUsage, usage, "\(kind)")
            }
        }
    }

    func testEachFormatsMissingFileIsNamedByItsKeyAsAUsageError() {
        let folder = Self.fixtures
        let cases: [(DataSpec, String)] = [
            (DataSpec(format: .cifar10, train: "."), "data.train: file not found: \(folder.path)/./data_batch_*.bin"),
            (DataSpec(format: .cifar100, train: ".", test: "absent.bin"), "data.train: file not found: \(folder.path)/train.bin"),
            (DataSpec(format: .idx, train: ".", numClasses: 3), "data.train: file not found: \(folder.path)/train-images-idx3-ubyte (or .gz)"),
            (DataSpec(format: .idx, train: "features.csv"),
             "data.train: \(folder.path)/features.csv: expected a folder, or an images file named …images-idx3…"),
            (DataSpec(format: .imageList, train: "."), "data.train: file not found: \(folder.path)/ImageNet_LT_train.txt"),
            (DataSpec(format: .csv, train: "features.csv", test: "absent.csv"), "data.test: file not found: \(folder.path)/absent.csv"),
            (DataSpec(format: .npz, train: "absent.npz"), "data.train: file not found: \(folder.path)/absent.npz"),
        ]
        for (data, message) in cases {
            let error = trainError(data)
            XCTAssertEqual(error?.message, message)
            XCTAssertEqual(error?.isUsage, true, message)
        }
    }

    func testAnArchiveGivenForOneSplitAloneReadsXAndY() throws {
        let data = try TrainingData.load(manifest(DataSpec(format: .npz, train: "data.npz")), folder: Self.fixtures)
        XCTAssertEqual(data.train.labels, [0, 1, 2, 0, 1, 2])
        XCTAssertNil(data.test, "images and labels are the training set's, not a test set")
        let test = try TrainingData.loadTest(manifest(DataSpec(format: .npz, test: "data.npz")), folder: Self.fixtures)
        XCTAssertEqual(test.count, 6)
    }

    func testEverySamplerNameIsTheSamplingOfItsName() {
        for name in SamplerName.allCases { XCTAssertEqual(Sampling(name).rawValue, name.rawValue) }
        var spec = DataSpec(format: .synthetic, inputShape: [2], numClasses: 2, sampler: .squareRoot)
        XCTAssertEqual(LoaderConfiguration(manifest: manifest(spec), trainCount: 10).sampling, .squareRoot)
        spec.sampler = .uniform
        XCTAssertEqual(LoaderConfiguration(manifest: manifest(spec), trainCount: 10).sampling, .uniform)
        var plain = manifest(spec)
        plain.data = nil
        XCTAssertEqual(LoaderConfiguration(manifest: plain, trainCount: 10).sampling, .uniform, "no data section: uniform")
    }
}
