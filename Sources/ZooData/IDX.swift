import Foundation

/// The IDX format of MNIST and Fashion-MNIST (raw or gzip): a magic number `0x0000TTDD` (type TT,
/// DD dimensions), DD big-endian 32-bit extents, then the data. Images are `ubyte` with 3
/// dimensions, labels `ubyte` with 1.
public enum IDX {
    /// Reads an images file and a labels file into a dataset of `[1, rows, columns]` samples.
    public static func dataset(images: String, labels: String) throws -> Dataset {
        let (imageShape, imageBytes) = try read(images)
        let (labelShape, labelBytes) = try read(labels)
        guard imageShape.count == 3 else {
            throw DataError(file: images, "expected 3 dimensions (count, rows, columns), found \(imageShape.count)")
        }
        guard labelShape.count == 1 else { throw DataError(file: labels, "expected 1 dimension (count), found \(labelShape.count)") }
        guard imageShape[0] == labelShape[0] else {
            throw DataError(file: labels, "\(labelShape[0]) labels for \(imageShape[0]) images in \(images)")
        }
        return try Dataset.checked(values: .bytes(imageBytes), sampleShape: [1, imageShape[1], imageShape[2]],
                                   labels: labelBytes.map(Int.init), file: labels)
    }

    /// The extents and the unsigned-byte data of one IDX file.
    public static func read(_ path: String) throws -> (shape: [Int], bytes: [UInt8]) {
        guard var data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        if Inflate.isGzip(data) { data = try Inflate.decompress(data, raw: false, file: path) }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw DataError(file: path, "file of \(bytes.count) bytes is shorter than the 4-byte magic number") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(file: path, String(format: "wrong magic number 0x%02X%02X%02X%02X: not an IDX file", bytes[0], bytes[1], bytes[2], bytes[3]))
        }
        guard bytes[2] == 0x08 else {
            throw DataError(file: path, String(format: "data type 0x%02X is not supported (expected 0x08, unsigned byte)", bytes[2]))
        }
        let dimensions = Int(bytes[3])
        guard dimensions >= 1, bytes.count >= 4 + 4 * dimensions else {
            throw DataError(file: path, "header of \(dimensions) dimensions does not fit in \(bytes.count) bytes")
        }
        let shape = (0..<dimensions).map { axis in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * axis + $1]) }
        }
        let expected = try ReadLimits.elementCount(shape, file: path, field: "extents")
        let found = bytes.count - 4 - 4 * dimensions
        guard found == expected else {
            throw DataError(file: path, "shape \(shape) needs \(expected) bytes of data, the file has \(found)"
                                + (found < expected ? " (truncated)" : ""))
        }
        return (shape, Array(bytes[(4 + 4 * dimensions)...]))
    }
}
