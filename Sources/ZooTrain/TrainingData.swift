import Foundation
import ZooData
import ZooManifest

/// The training and test sets a manifest's `data` section names.
///
/// Paths are relative to the manifest's folder; each format reads them by its reader's
/// conventions in ZooData (`TrainingData+Formats.swift` maps the formats to them):
/// - `idx`: `train` is a folder holding the MNIST-family names, or an images file
///   (`IDX.files(at:split:)`); `test` likewise (default: the `t10k-…` files of the training folder).
/// - `cifar10-binary` / `cifar100-binary`: a file, or a folder of batch files (`CIFAR.files(at:split:variant:)`).
/// - `npz`: arrays `x_train`/`y_train` and `x_test`/`y_test` of one archive, or `x`/`y`
///   (`images`/`labels`) of one archive each for `train` and `test` (`NumPy.arrayNames(_:alone:)`).
/// - `csv`: one file each; the label is the last column.
/// - `imagenet-lt-npy`: a list file with its `.npy` shards, or a folder holding
///   `ImageNet_LT_train.txt` (and, when `test` is not given, `ImageNet_LT_test.txt`)
///   (`ImageList.dataset(at:split:classCount:)`); images stay on disk until batched.
/// - `synthetic`: Gaussian clusters of `input_shape` for `num_classes` classes, from the seed
///   (`GaussianClusters`).
public struct TrainingData: Sendable {
    public var train: Dataset
    public var test: Dataset?
    /// Training samples per class after the long-tail cut.
    public var classCounts: [Int] { train.classCounts }

    public init(train: Dataset, test: Dataset?) {
        self.train = train
        self.test = test
    }

    /// Reads both sets and applies the long-tail cut when the manifest asks for one.
    public static func load(_ manifest: Manifest, folder: URL) throws -> TrainingData {
        guard let spec = manifest.data else { throw TrainError("the manifest has no data section", isUsage: true) }
        var (train, test) = try read(spec, folder: folder, seed: manifest.training.seed, needTrain: true)
        guard var training = train else { throw TrainError("data.train: no training data named", isUsage: true) }
        if let classes = spec.numClasses, training.classCount > classes {
            throw TrainError("data.num_classes is \(classes), the training data has labels up to \(training.classCount - 1)")
        }
        if let classes = spec.numClasses, training.classCount < classes {
            training = training.withClassCount(classes)
        }
        if let longTail = spec.longTail {
            let counts = longTail.profile == .step
                ? LongTail.stepCounts(classes: training.classCount, maximum: longTail.nMax, ratio: longTail.ratio,
                                      manyClasses: longTail.manyClasses ?? training.classCount / 2)
                : LongTail.exponentialCounts(classes: training.classCount, maximum: longTail.nMax, ratio: longTail.ratio)
            do {
                training = try LongTail.cut(training, counts: counts, seed: UInt64(longTail.seed))
            } catch let error as DataError {
                throw TrainError("data.long_tail: \(error.message)")
            }
        }
        if let given = spec.classCounts, given != training.classCounts {
            throw TrainError("data.class_counts \(given) differ from the training data's \(training.classCounts)")
        }
        if let testSet = test, testSet.classCount > training.classCount {
            throw TrainError("the test data has labels up to \(testSet.classCount - 1), the training data \(training.classCount) classes")
        }
        if let testSet = test, testSet.classCount < training.classCount {
            test = testSet.withClassCount(training.classCount)
        }
        return TrainingData(train: training, test: test)
    }

    /// Reads the test set only (for evaluating a checkpoint).
    public static func loadTest(_ manifest: Manifest, folder: URL) throws -> Dataset {
        guard let spec = manifest.data else { throw TrainError("the manifest has no data section", isUsage: true) }
        guard let test = try read(spec, folder: folder, seed: manifest.training.seed, needTrain: false).1 else {
            throw TrainError("data.test: no test data named", isUsage: true)
        }
        if let classes = spec.numClasses, test.classCount < classes {
            return test.withClassCount(classes)
        }
        return test
    }
}
