import Foundation
import ZooData
import ZooManifest
import ZooTensor

/// A problem with a run: its data, its checkpoint or its numbers. `isUsage` marks the problems
/// that are the manifest's or the command line's (a file that is not there, a checkpoint that does
/// not fit the model): the command line exits 2 for those and 1 for the others.
public struct TrainError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var isUsage: Bool
    public init(_ message: String, isUsage: Bool = false) {
        self.message = message
        self.isUsage = isUsage
    }
    public var description: String { message }
}

/// The training and test sets a manifest's `data` section names.
///
/// Paths are relative to the manifest's folder. Formats:
/// - `idx`: `train` is a folder holding the MNIST-family names (`train-images-idx3-ubyte`,
///   `train-labels-idx1-ubyte`, `t10k-…`, each optionally `.gz`), or an images file whose labels
///   file is named with `labels-idx1` in place of `images-idx3`; `test` likewise (default: the
///   `t10k-…` files of the training folder).
/// - `cifar10-binary` / `cifar100-binary`: a file, or a folder with `data_batch_*.bin` and
///   `test_batch.bin` (CIFAR-10) or `train.bin` and `test.bin` (CIFAR-100).
/// - `npz`: arrays `x_train`/`y_train` and `x_test`/`y_test` of one archive, or `x`/`y`
///   (`images`/`labels`) of one archive each for `train` and `test`.
/// - `csv`: one file each; the label is the last column.
/// - `imagenet-lt-npy`: a list file (`ImageNet_LT_train.txt`: lines `PATH LABEL`) with the images in
///   `.npy` shards beside it (`ZooData.ImageList`), or a folder holding `ImageNet_LT_train.txt`
///   (and, when `test` is not given, `ImageNet_LT_test.txt`); images stay on disk until batched.
/// - `synthetic`: Gaussian clusters of `input_shape` for `num_classes` classes, from the seed.
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

    // MARK: reading

    static func resolve(_ path: String, _ folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    static func isFolder(_ url: URL) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &folder) && folder.boolValue
    }

    /// The file, which must exist; the key names the manifest entry in the error.
    static func existing(_ url: URL, key: String) throws -> String {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainError("\(key): file not found: \(url.standardizedFileURL.path)", isUsage: true)
        }
        return url.standardizedFileURL.path
    }

    /// `name` or `name.gz` in `folder`.
    static func member(_ name: String, in folder: URL, key: String) throws -> String {
        for candidate in [name, name + ".gz"] {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url.standardizedFileURL.path }
        }
        throw TrainError("\(key): file not found: \(folder.appendingPathComponent(name).standardizedFileURL.path) (or .gz)", isUsage: true)
    }

    static func read(_ spec: DataSpec, folder: URL, seed: Int, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        do {
            switch spec.format {
            case .synthetic:
                return try synthetic(spec, seed: seed)
            case .idx:
                return try idx(spec, folder: folder, needTrain: needTrain)
            case .cifar10, .cifar100:
                return try cifar(spec, folder: folder, needTrain: needTrain)
            case .csv:
                let train = try (needTrain ? spec.train : nil).map { try CSV.dataset(existing(resolve($0, folder), key: "data.train")) }
                let test = try spec.test.map { try CSV.dataset(existing(resolve($0, folder), key: "data.test")) }
                return (train, test)
            case .npz:
                return try npz(spec, folder: folder, needTrain: needTrain)
            case .imageList:
                return try imageList(spec, folder: folder, needTrain: needTrain)
            }
        } catch let error as DataError {
            throw TrainError(error.description)
        }
    }

    static func idx(_ spec: DataSpec, folder: URL, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        // One set: a folder with the standard names (prefix train / t10k), or an images file.
        func set(_ path: String, key: String, prefix: String) throws -> Dataset {
            let url = resolve(path, folder)
            if isFolder(url) {
                return try IDX.dataset(images: member("\(prefix)-images-idx3-ubyte", in: url, key: key),
                                       labels: member("\(prefix)-labels-idx1-ubyte", in: url, key: key))
            }
            let images = try existing(url, key: key)
            guard images.contains("images-idx3") else {
                throw TrainError("\(key): \(images): expected a folder, or an images file named …images-idx3…", isUsage: true)
            }
            let labels = images.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
            return try IDX.dataset(images: images, labels: existing(URL(fileURLWithPath: labels), key: key))
        }
        return try trainAndTest(spec, folder: folder, needTrain: needTrain) { path, key, training in
            try set(path, key: key, prefix: training ? "train" : "t10k")
        }
    }

    /// The two sets of a format whose `data.train` may be a folder holding the test set as well:
    /// `read(path, key, training)` reads one; the test set comes from `data.test`, else from the
    /// training folder.
    static func trainAndTest(_ spec: DataSpec, folder: URL, needTrain: Bool,
                             read: (_ path: String, _ key: String, _ training: Bool) throws -> Dataset) throws -> (Dataset?, Dataset?) {
        var train: Dataset?
        if needTrain {
            guard let path = spec.train else { throw TrainError("data.train: no training data named", isUsage: true) }
            train = try read(path, "data.train", true)
        }
        var test: Dataset?
        if let path = spec.test {
            test = try read(path, "data.test", false)
        } else if let path = spec.train, isFolder(resolve(path, folder)) {
            test = try read(path, "data.train", false)
        }
        return (train, test)
    }

    static func cifar(_ spec: DataSpec, folder: URL, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        let variant: CIFAR.Variant = spec.format == .cifar10 ? .cifar10 : .cifar100
        func files(_ path: String, key: String, training: Bool) throws -> [String] {
            let url = resolve(path, folder)
            guard isFolder(url) else { return [try existing(url, key: key)] }
            if variant == .cifar100 { return [try existing(url.appendingPathComponent(training ? "train.bin" : "test.bin"), key: key)] }
            if !training { return [try existing(url.appendingPathComponent("test_batch.bin"), key: key)] }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
                .filter { $0.hasPrefix("data_batch_") && $0.hasSuffix(".bin") }.sorted()
            guard !names.isEmpty else { throw TrainError("\(key): file not found: \(url.path)/data_batch_*.bin", isUsage: true) }
            return names.map { url.appendingPathComponent($0).path }
        }
        var train: Dataset?
        if needTrain {
            guard let path = spec.train else { throw TrainError("data.train: no training data named", isUsage: true) }
            train = try CIFAR.dataset(files: files(path, key: "data.train", training: true), variant: variant)
        }
        var test: Dataset?
        if let path = spec.test {
            test = try CIFAR.dataset(files: files(path, key: "data.test", training: false), variant: variant)
        } else if let path = spec.train, isFolder(resolve(path, folder)) {
            test = try CIFAR.dataset(files: files(path, key: "data.train", training: false), variant: variant)
        }
        return (train, test)
    }

    static func npz(_ spec: DataSpec, folder: URL, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        func pick(_ arrays: [String: NumPy.Array], _ names: [(String, String)], file: String) throws -> Dataset? {
            for (x, y) in names {
                if let images = arrays[x], let labels = arrays[y] { return try NumPy.dataset(images: images, labels: labels, file: file) }
            }
            return nil
        }
        let single = [("x", "y"), ("images", "labels"), ("features", "labels")]
        var train: Dataset?, test: Dataset?
        if let path = spec.train {
            let file = try existing(resolve(path, folder), key: "data.train")
            let arrays = try NumPy.loadArchive(file)
            if needTrain {
                guard let found = try pick(arrays, [("x_train", "y_train")] + single, file: file) else {
                    throw TrainError("data.train: \(file): expected arrays x_train and y_train, or x and y (found \(arrays.keys.sorted().joined(separator: ", ")))")
                }
                train = found
            }
            if spec.test == nil { test = try pick(arrays, [("x_test", "y_test")], file: file) }
        } else if needTrain {
            throw TrainError("data.train: no training data named", isUsage: true)
        }
        if let path = spec.test {
            let file = try existing(resolve(path, folder), key: "data.test")
            let arrays = try NumPy.loadArchive(file)
            guard let found = try pick(arrays, [("x_test", "y_test")] + single, file: file) else {
                throw TrainError("data.test: \(file): expected arrays x_test and y_test, or x and y (found \(arrays.keys.sorted().joined(separator: ", ")))")
            }
            test = found
        }
        return (train, test)
    }

    /// Gaussian clusters: class centres drawn once from the seed (standard normal), samples = centre +
    /// 2 · standard normal noise. The
    /// training set has `class_counts` (or `long_tail.n_max`, or 100) samples per class before any
    /// cut; the test set 50 per class.
    static func synthetic(_ spec: DataSpec, seed: Int) throws -> (Dataset?, Dataset?) {
        guard let shape = spec.inputShape, let classes = spec.numClasses else {
            throw TrainError("data: synthetic data needs input_shape and num_classes", isUsage: true)
        }
        let trainCounts = spec.longTail != nil ? Array(repeating: spec.longTail!.nMax, count: classes)
            : (spec.classCounts ?? Array(repeating: 100, count: classes))
        // Sizes come from the manifest: the centres and both sets must fit in the memory budget.
        let size: Int
        do {
            size = try ReadLimits.elementCount(shape, file: "data", field: "input_shape")
            // The class centres, the training samples and 50 test samples per class.
            var rows = classes
            for count in trainCounts + [50 * classes] { rows = try ReadLimits.sum(rows, count, file: "data", field: "class counts") }
            let (floats, overflow) = rows.multipliedReportingOverflow(by: size)
            _ = try ReadLimits.byteCount(overflow ? Int.max : floats, elementSize: MemoryLayout<Float>.size, file: "data",
                                         field: "synthetic data")
        } catch let error as DataError {
            throw TrainError("data: synthetic data of \(trainCounts.reduce(0, &+)) training samples of shape \(shape): \(error.message)",
                             isUsage: true)
        }
        var generator = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 0x5EED)
        let centres = (0..<(classes * size)).map { _ in generator.nextNormal() }
        func make(_ counts: [Int], generator: inout RandomGenerator) -> Dataset {
            var values: [Float] = [], labels: [Int] = []
            for (label, count) in counts.enumerated() {
                for _ in 0..<count {
                    for k in 0..<size { values.append(centres[label * size + k] + 2 * generator.nextNormal()) }
                    labels.append(label)
                }
            }
            return Dataset(values: .floats(values), sampleShape: shape, labels: labels, classCount: classes)
        }
        var trainGenerator = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 1)
        var testGenerator = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 2)
        return (make(trainCounts, generator: &trainGenerator), make(Array(repeating: 50, count: classes), generator: &testGenerator))
    }
}
