import Foundation

/// Images kept on disk: uint8 `.npy` files of shape `[n, 3, H, W]` (channels first, C order), one
/// after another, memory-mapped and read sample by sample when batched. Only the pages of the
/// samples in use are in memory, so a training set larger than memory can be used.
///
/// Shape: every shard `[n_k, 3, H, W]` with the same `H, W`; one sample is `[3, H, W]`.
public struct ImageShards: Sendable {
    let files: [MappedFile]
    /// The offset of each shard's first element.
    let dataStarts: [Int]
    /// The index, over all shards, of each shard's first sample; the total last.
    let firstSamples: [Int]
    /// For each row of this set, its index over all shards (a subset keeps some, in its order).
    let rows: [Int]
    public let sampleShape: [Int]

    /// The shards at `paths`, in order: each must hold uint8 images `[n, 3, H, W]`, all of one `H, W`.
    public init(paths: [String]) throws {
        var files: [MappedFile] = [], dataStarts: [Int] = [], firstSamples = [0]
        var sampleShape: [Int]?
        for path in paths {
            let file = try MappedFile(path)
            let layout = try NumPy.layout(file.bytes, file: path)
            guard layout.descriptor == "|u1" else {
                throw DataError(file: path, "images must be uint8 (|u1), found \(layout.descriptor)")
            }
            guard layout.shape.count == 4, layout.shape[1] == 3 else {
                let hint = layout.shape.count == 4 && layout.shape[3] == 3 ? "; transpose with images.transpose(0, 3, 1, 2)" : ""
                throw DataError(file: path, "expected images [n, 3, height, width] (channels first), found shape \(layout.shape)\(hint)")
            }
            let shape = Array(layout.shape.dropFirst())
            guard !shape.contains(0) else { throw DataError(file: path, "images of shape \(shape) have no pixels") }
            if let first = sampleShape, first != shape {
                throw DataError(file: path, "images of shape \(shape), the first shard's are \(first)")
            }
            sampleShape = shape
            files.append(file)
            dataStarts.append(layout.dataStart)
            firstSamples.append(firstSamples.last! + layout.shape[0])
        }
        guard let sampleShape else { throw DataError(file: "image shards", "no shard files named") }
        (self.files, self.dataStarts, self.firstSamples, self.sampleShape) = (files, dataStarts, firstSamples, sampleShape)
        rows = Array(0..<firstSamples.last!)
    }

    private init(_ shards: ImageShards, rows: [Int]) {
        (files, dataStarts, firstSamples, sampleShape) = (shards.files, shards.dataStarts, shards.firstSamples, shards.sampleShape)
        self.rows = rows
    }

    /// The number of samples (rows) of this set.
    public var count: Int { rows.count }

    /// The rows at `indices`, in that order; nothing is copied but the index.
    public func selecting(_ indices: [Int]) -> ImageShards {
        ImageShards(self, rows: indices.map { rows[$0] })
    }

    /// The bytes of row `row`: `sampleShape.elementCount` of them.
    public func sample(_ row: Int) -> UnsafeRawBufferPointer {
        let global = rows[row]
        // The last shard whose first sample is at or before `global`.
        var low = 0, high = files.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if firstSamples[middle] <= global { low = middle } else { high = middle - 1 }
        }
        let size = sampleShape.reduce(1, *)
        let start = dataStarts[low] + (global - firstSamples[low]) * size
        return UnsafeRawBufferPointer(rebasing: files[low].bytes[start..<(start + size)])
    }
}
