import Foundation
import ZooData
import ZooManifest

extension TrainingData {
    /// `path` relative to `folder`, unless absolute.
    static func resolve(_ path: String, _ folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    /// The sets `spec` names, each read by its format's reader; the training set only when
    /// `needTrain`. A file's own problems (`DataError`) stop the run; a path that does not hold
    /// what the format expects is named by its manifest key.
    static func read(_ spec: DataSpec, folder: URL, seed: Int, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        do {
            switch spec.format {
            case .synthetic:
                return try synthetic(spec, seed: seed)
            case .idx:
                return try trainAndTest(spec, folder: folder, needTrain: needTrain) { try IDX.dataset(at: $0, split: $1) }
            case .cifar10:
                return try trainAndTest(spec, folder: folder, needTrain: needTrain) { try CIFAR.dataset(at: $0, split: $1, variant: .cifar10) }
            case .cifar100:
                return try trainAndTest(spec, folder: folder, needTrain: needTrain) { try CIFAR.dataset(at: $0, split: $1, variant: .cifar100) }
            case .imageList:
                return try trainAndTest(spec, folder: folder, needTrain: needTrain) {
                    try ImageList.dataset(at: $0, split: $1, classCount: spec.numClasses)
                }
            case .csv:
                let train = try (needTrain ? spec.train : nil).map { path in
                    try keyed("data.train") { try CSV.dataset(at: resolve(path, folder)) }
                }
                let test = try spec.test.map { path in try keyed("data.test") { try CSV.dataset(at: resolve(path, folder)) } }
                return (train, test)
            case .npz:
                return try npz(spec, folder: folder, needTrain: needTrain)
            }
        } catch let error as DataError {
            throw TrainError(error.description)
        }
    }

    /// `read()`, with a `DataLayoutError` named by the manifest entry `key`: a usage error when
    /// the path is wrong, a run error when the file lacks what the format needs.
    static func keyed<T>(_ key: String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as DataLayoutError {
            switch error.kind {
            case .notFound, .misnamed: throw TrainError("\(key): \(error.message)", isUsage: true)
            case .missingArrays: throw TrainError("\(key): \(error.message)")
            }
        }
    }

    /// The two sets of a format whose `data.train` may be a folder holding the test set as well:
    /// `read(url, split)` reads one; the test set comes from `data.test`, else from the training
    /// folder.
    static func trainAndTest(_ spec: DataSpec, folder: URL, needTrain: Bool,
                             read: (_ url: URL, _ split: DataSplit) throws -> Dataset) throws -> (Dataset?, Dataset?) {
        var train: Dataset?
        if needTrain {
            guard let path = spec.train else { throw TrainError("data.train: no training data named", isUsage: true) }
            train = try keyed("data.train") { try read(resolve(path, folder), .train) }
        }
        var test: Dataset?
        if let path = spec.test {
            test = try keyed("data.test") { try read(resolve(path, folder), .test) }
        } else if let path = spec.train, DataPath.isFolder(resolve(path, folder)) {
            test = try keyed("data.train") { try read(resolve(path, folder), .test) }
        }
        return (train, test)
    }

    /// The `npz` format: the training archive may hold the test set too (`x_test`/`y_test`),
    /// used when `data.test` names none.
    static func npz(_ spec: DataSpec, folder: URL, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        var train: Dataset?, test: Dataset?
        if let path = spec.train {
            try keyed("data.train") {
                let file = try DataPath.existing(resolve(path, folder))
                let arrays = try NumPy.loadArchive(file)
                if needTrain { train = try NumPy.dataset(in: arrays, split: .train, file: file) }
                if spec.test == nil { test = try NumPy.testSet(inTrainingArchive: arrays, file: file) }
            }
        } else if needTrain {
            throw TrainError("data.train: no training data named", isUsage: true)
        }
        if let path = spec.test {
            test = try keyed("data.test") {
                let file = try DataPath.existing(resolve(path, folder))
                return try NumPy.dataset(in: NumPy.loadArchive(file), split: .test, file: file)
            }
        }
        return (train, test)
    }
}
