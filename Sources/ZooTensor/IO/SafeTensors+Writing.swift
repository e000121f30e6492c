import Foundation
import ZooValue

extension SafeTensorsArchive {

    /// The bytes of a safetensors file: tensors as `F32`, index tensors as `I64`, laid out with no
    /// holes, the 8-byte `I64` tensors first and each kind sorted by name (as the reference
    /// implementation orders by alignment), so that every tensor starts on its own alignment; the header is padded with spaces to a multiple of 8 bytes
    /// (counting the 8-byte length) and omits `__metadata__` when `metadata` is empty.
    ///
    /// Traps when a name is used by both a float and an index tensor or is `__metadata__`;
    /// ``write(to:)`` throws for those instead.
    public func serialized() -> Data {
        if let problem = namingProblem() { fatalError("[SafeTensorsArchive.serialized] \(problem)") }

        enum Item {
            case float(Tensor)
            case index(IndexTensor)
        }
        var items: [(name: String, item: Item)] = tensors.map { ($0.key, .float($0.value)) }
        items += indexTensors.map { ($0.key, .index($0.value)) }
        func isIndex(_ item: Item) -> Bool { if case .index = item { true } else { false } }
        items.sort {
            isIndex($0.item) != isIndex($1.item) ? isIndex($0.item) : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }

        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { JSONText.quoted($0.key) + ":" + JSONText.quoted($0.value) }
            parts.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, item) in items {
            let dtype: String
            let shape: [Int]
            let byteCount: Int
            switch item {
            case .float(let tensor):
                (dtype, shape, byteCount) = ("F32", tensor.shape, tensor.count * MemoryLayout<Float>.size)
            case .index(let tensor):
                (dtype, shape, byteCount) = ("I64", tensor.shape, tensor.values.count * MemoryLayout<Int64>.size)
            }
            let dims = shape.map(String.init).joined(separator: ",")
            parts.append(
                JSONText.quoted(name) + ":{\"dtype\":\"\(dtype)\",\"shape\":[\(dims)],"
                    + "\"data_offsets\":[\(offset),\(offset + byteCount)]}")
            offset += byteCount
        }
        var header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        header += repeatElement(0x20, count: (8 - header.count % 8) % 8)

        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for (_, item) in items {
            switch item {
            case .float(let tensor):
                tensor.withScalars { scalars in
                    #if _endian(little)
                    data.append(scalars)
                    #else
                    for value in scalars {
                        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                    }
                    #endif
                }
            case .index(let tensor):
                tensor.values.withUnsafeBufferPointer { values in
                    #if _endian(little)
                    data.append(values)
                    #else
                    for value in values {
                        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
                    }
                    #endif
                }
            }
        }
        return data
    }

    /// Writes ``serialized()`` to `url` atomically: the bytes go to a temporary file in the same
    /// folder, which is flushed and then renamed over `url`, so `url` never holds a partial file.
    public func write(to url: URL) throws {
        let path = url.path
        guard url.isFileURL else {
            throw SafeTensorsError(source: url.absoluteString, message: "not a file URL")
        }
        if let problem = namingProblem() { throw SafeTensorsError(source: path, message: problem) }
        try SafeTensorsFile.replace(path: path, folder: url.deletingLastPathComponent().path,
                                    fileName: url.lastPathComponent, with: serialized())
    }

    /// Removes what a killed ``write(to:)`` of `url` left behind (its temporary file, when the
    /// process that wrote it is gone); returns the removed paths.
    @discardableResult
    public static func removeAbandonedTemporaries(of url: URL) -> [String] {
        SafeTensorsFile.removeAbandoned(folder: url.deletingLastPathComponent().path, fileName: url.lastPathComponent)
    }

    /// Why the tensor names cannot be written, if they cannot.
    func namingProblem() -> String? {
        let reserved = SafeTensorsReader.metadataKey
        if tensors[reserved] != nil || indexTensors[reserved] != nil {
            return "'\(reserved)' is reserved for the metadata and cannot name a tensor"
        }
        if let shared = Set(tensors.keys).intersection(indexTensors.keys).sorted().first {
            return "'\(shared)' names both a float tensor and an index tensor"
        }
        return nil
    }
}
