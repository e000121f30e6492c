import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ZooValue

/// The contents of a safetensors file: float tensors, integer tensors and string metadata.
///
/// The format is the one the Python `safetensors` library reads and writes: an 8-byte
/// little-endian header length `N`, `N` bytes of UTF-8 JSON describing each tensor
/// (`dtype`, `shape`, `data_offsets` into the data buffer) plus an optional `__metadata__`
/// object of strings, then the raw little-endian data.
///
/// ```swift
/// let archive = try SafeTensorsArchive(contentsOf: url)
/// let logits = try archive.tensor("input.logits")
/// let labels = try archive.indexTensor("input.labels")
/// ```
///
/// Reading validates the whole file and throws ``SafeTensorsError`` for anything malformed.
public struct SafeTensorsArchive: Sendable {
    /// The `__metadata__` object (string to string).
    public var metadata: [String: String]
    /// Float tensors: `F32` is read as is; `F64`, `F16` and `BF16` are converted to `Float`.
    public var tensors: [String: Tensor]
    /// Integer tensors: `I64`, `I32`, `I16`, `I8`, `U8`, `U16`, `U32`, `U64` (when the values
    /// fit) and `BOOL` (0 or 1), widened to `Int64`.
    public var indexTensors: [String: IndexTensor]
    /// Where the archive was read from: a file path, or `"<data>"`. Error messages name it.
    public var source: String

    /// An archive built in memory.
    public init(
        metadata: [String: String] = [:], tensors: [String: Tensor] = [:],
        indexTensors: [String: IndexTensor] = [:]
    ) {
        self.metadata = metadata
        self.tensors = tensors
        self.indexTensors = indexTensors
        self.source = "<data>"
    }

    /// Parses the bytes of a safetensors file; `source` names them in error messages.
    public init(data: Data, source: String = "<data>") throws {
        let reader = SafeTensorsReader(source: source)
        let contents = try data.withUnsafeBytes { try reader.read($0) }
        self.metadata = contents.metadata
        self.tensors = contents.tensors
        self.indexTensors = contents.indexTensors
        self.source = source
    }

    /// Reads a safetensors file; error messages name `url.path`.
    public init(contentsOf url: URL) throws {
        let path = url.path
        guard url.isFileURL else {
            throw SafeTensorsError(source: url.absoluteString, message: "not a file URL")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw SafeTensorsError(source: path, message: "file does not exist")
        }
        guard !isFolder.boolValue else {
            throw SafeTensorsError(source: path, message: "is a folder, not a file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError(source: path, message: "cannot read file: \(error.localizedDescription)")
        }
        try self.init(data: data, source: path)
    }

    // MARK: lookup

    /// The float tensor named `name`; the error names the key, the source and the closest keys.
    public func tensor(_ name: String) throws -> Tensor {
        if let tensor = tensors[name] { return tensor }
        if let other = indexTensors[name] {
            throw SafeTensorsError(
                source: source,
                message: "'\(name)' is an integer tensor of shape \(other.shape), not a float tensor; "
                    + "use indexTensor(_:)")
        }
        throw SafeTensorsError(
            source: source,
            message: Self.missingKeyMessage(name, kind: "tensor", existing: Array(tensors.keys),
                                            emptyNote: "the archive has no float tensors"))
    }

    /// The integer tensor named `name`; the error names the key, the source and the closest keys.
    public func indexTensor(_ name: String) throws -> IndexTensor {
        if let tensor = indexTensors[name] { return tensor }
        if let other = tensors[name] {
            throw SafeTensorsError(
                source: source,
                message: "'\(name)' is a float tensor of shape \(other.shape), not an integer tensor; "
                    + "use tensor(_:)")
        }
        throw SafeTensorsError(
            source: source,
            message: Self.missingKeyMessage(name, kind: "index tensor", existing: Array(indexTensors.keys),
                                            emptyNote: "the archive has no index tensors"))
    }

    static func missingKeyMessage(_ name: String, kind: String, existing: [String], emptyNote: String) -> String {
        guard !existing.isEmpty else { return "no \(kind) named '\(name)'; \(emptyNote)" }
        let closest = Suggestion.nearest(3, to: name, among: existing).map { "'\($0)'" }.joined(separator: ", ")
        return "no \(kind) named '\(name)'; closest: \(closest)"
    }
}
