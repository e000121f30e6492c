import ZooData
import ZooManifest

extension TrainingData {
    /// The `synthetic` format (`GaussianClusters`): the training set has `class_counts` (or
    /// `long_tail.n_max`, or 100) samples per class before any cut; the test set 50 per class.
    /// The sizes come from the manifest, so the centres and both sets must fit in the memory budget.
    static func synthetic(_ spec: DataSpec, seed: Int) throws -> (Dataset?, Dataset?) {
        guard let shape = spec.inputShape, let classes = spec.numClasses else {
            throw TrainError("data: synthetic data needs input_shape and num_classes", isUsage: true)
        }
        let trainCounts = spec.longTail != nil ? Array(repeating: spec.longTail!.nMax, count: classes)
            : (spec.classCounts ?? Array(repeating: 100, count: classes))
        do {
            let size = try ReadLimits.elementCount(shape, file: "data", field: "input_shape")
            // The class centres, the training samples and the test samples.
            var rows = classes
            for count in trainCounts + [GaussianClusters.testSamplesPerClass * classes] {
                rows = try ReadLimits.sum(rows, count, file: "data", field: "class counts")
            }
            let (floats, overflow) = rows.multipliedReportingOverflow(by: size)
            _ = try ReadLimits.byteCount(overflow ? Int.max : floats, elementSize: MemoryLayout<Float>.size, file: "data",
                                         field: "synthetic data")
        } catch let error as DataError {
            throw TrainError("data: synthetic data of \(trainCounts.reduce(0, &+)) training samples of shape \(shape): \(error.message)",
                             isUsage: true)
        }
        let (train, test) = GaussianClusters.datasets(sampleShape: shape, classCount: classes, trainCounts: trainCounts, seed: seed)
        return (train, test)
    }
}
