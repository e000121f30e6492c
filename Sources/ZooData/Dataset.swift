import ZooTensor

/// Labelled samples kept compactly (bytes for images, floats for features, or images left on disk),
/// turned into float tensors batch by batch.
///
/// Shape: `sampleShape` is one sample's, e.g. `[1, 28, 28]`; a batch of `n` is `[n] + sampleShape`.
public struct Dataset: Sendable {
    public enum Values: Sendable {
        /// Raw bytes (images), scaled to [0, 1] when batched.
        case bytes([UInt8])
        /// Float features, batched as they are.
        case floats([Float])
        /// Images in memory-mapped `.npy` shards, read when batched and scaled to [0, 1].
        case shards(ImageShards)
    }

    public let values: Values
    public let sampleShape: [Int]
    public let labels: [Int]
    /// The number of classes: the largest label + 1, unless given.
    public let classCount: Int
    /// The file (or files) the samples were read from, for messages.
    public let source: String?

    public init(values: Values, sampleShape: [Int], labels: [Int], classCount: Int? = nil, source: String? = nil) {
        let size = sampleShape.elementCount
        switch values {
        case .bytes(let bytes): precondition(bytes.count == size * labels.count, "[Dataset] \(bytes.count) bytes for \(labels.count) samples of \(sampleShape)")
        case .floats(let floats): precondition(floats.count == size * labels.count, "[Dataset] \(floats.count) floats for \(labels.count) samples of \(sampleShape)")
        case .shards(let shards):
            precondition(shards.count == labels.count && shards.sampleShape.elementCount == size,
                         "[Dataset] \(shards.count) images of \(shards.sampleShape) for \(labels.count) samples of \(sampleShape)")
        }
        self.values = values
        self.sampleShape = sampleShape
        self.labels = labels
        self.classCount = classCount ?? ((labels.max() ?? -1) + 1)
        self.source = source
    }

    /// A dataset read from `file`: the same as `init`, but a size that does not fit, a negative
    /// extent or a label outside `0..<classCount` (without one, outside
    /// `0..<ReadLimits.maximumClassCount`) is a `DataError` naming the file, where `init` traps.
    public static func checked(values: Values, sampleShape: [Int], labels: [Int], classCount: Int? = nil,
                               file: String) throws -> Dataset {
        let size = try ReadLimits.elementCount(sampleShape, file: file, field: "sample shape")
        guard size > 0 else { throw DataError(file: file, "samples of shape \(sampleShape) have no elements") }
        let (needed, overflow) = size.multipliedReportingOverflow(by: labels.count)
        let found: Int
        switch values {
        case .bytes(let bytes): found = bytes.count
        case .floats(let floats): found = floats.count
        case .shards(let shards):
            guard shards.sampleShape == sampleShape else {
                throw DataError(file: file, "images of shape \(shards.sampleShape) for samples of shape \(sampleShape)")
            }
            found = shards.count * size
        }
        guard !overflow, found == needed else {
            throw DataError(file: file, "\(labels.count) samples of shape \(sampleShape) need \(overflow ? "more than Int.max" : "\(needed)") "
                                + "values, found \(found)")
        }
        try ReadLimits.checkLabels(labels, classCount: classCount, file: file)
        return Dataset(values: values, sampleShape: sampleShape, labels: labels, classCount: classCount, source: file)
    }

    /// The same samples with `classCount` classes (at least the largest label + 1).
    public func withClassCount(_ classCount: Int) -> Dataset {
        Dataset(values: values, sampleShape: sampleShape, labels: labels, classCount: classCount, source: source)
    }

    public var count: Int { labels.count }

    /// Samples per class, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let size = sampleShape.elementCount
        let values: Values
        switch self.values {
        case .bytes(let bytes): values = .bytes(indices.flatMap { bytes[($0 * size)..<(($0 + 1) * size)] })
        case .floats(let floats): values = .floats(indices.flatMap { floats[($0 * size)..<(($0 + 1) * size)] })
        case .shards(let shards): values = .shards(shards.selecting(indices))
        }
        return Dataset(values: values, sampleShape: sampleShape, labels: indices.map { labels[$0] }, classCount: classCount,
                       source: source)
    }

    /// The samples at `indices` as one float tensor `[indices.count] + sampleShape` (bytes / 255).
    public func batch(_ indices: [Int]) -> (inputs: Tensor, labels: [Int]) {
        let size = sampleShape.elementCount
        let tensor = Tensor.uninitialized([indices.count] + sampleShape)
        let target = tensor.storage.pointer
        switch values {
        case .bytes(let bytes):
            bytes.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    for k in 0..<size { target[row * size + k] = Float(source[index * size + k]) / 255 }   // as torchvision's ToTensor
                }
            }
        case .floats(let floats):
            floats.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    (target + row * size).update(from: source.baseAddress! + index * size, count: size)
                }
            }
        case .shards(let shards):
            for (row, index) in indices.enumerated() {
                let source = shards.sample(index)
                for k in 0..<size { target[row * size + k] = Float(source[k]) / 255 }
            }
        }
        return (tensor, indices.map { labels[$0] })
    }
}
