import Foundation
import ZooData
import ZooManifest

extension TrainingData {
    /// The `imagenet-lt-npy` format: each of `train` and `test` is a list file with its shards, or a
    /// folder with `ImageNet_LT_train.txt` / `ImageNet_LT_test.txt`; the test set defaults to the
    /// training folder's `ImageNet_LT_test.txt`.
    static func imageList(_ spec: DataSpec, folder: URL, needTrain: Bool) throws -> (Dataset?, Dataset?) {
        func set(_ path: String, key: String, name: String) throws -> Dataset {
            let url = resolve(path, folder)
            let list = isFolder(url) ? url.appendingPathComponent(name) : url
            return try ImageList.dataset(list: existing(list, key: key), classCount: spec.numClasses)
        }
        return try trainAndTest(spec, folder: folder, needTrain: needTrain) { path, key, training in
            try set(path, key: key, name: training ? "ImageNet_LT_train.txt" : "ImageNet_LT_test.txt")
        }
    }
}
