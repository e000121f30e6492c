import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
        let target = Array(name.unicodeScalars)
        let ranked = existing
            .map { (key: $0, distance: editDistance(target, Array($0.unicodeScalars))) }
            .sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.key < $1.key }
        let closest = ranked.prefix(3).map { "'\($0.key)'" }.joined(separator: ", ")
        return "no \(kind) named '\(name)'; closest: \(closest)"
    }

    /// Levenshtein distance.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = Swift.min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    // MARK: writing

    /// The bytes of a safetensors file: tensors as `F32`, index tensors as `I64`, laid out
    /// sorted by name with no holes; the header is padded with spaces to a multiple of 8 bytes
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
        items.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }

        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { Self.jsonString($0.key) + ":" + Self.jsonString($0.value) }
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
                Self.jsonString(name) + ":{\"dtype\":\"\(dtype)\",\"shape\":[\(dims)],"
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

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

// MARK: - dtypes and shapes

/// The safetensors dtypes this reader converts.
enum SafeTensorsDType: String {
    case bool = "BOOL", u8 = "U8", i8 = "I8", u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32", u64 = "U64", i64 = "I64", f64 = "F64"

    /// Dtypes of the format that this reader does not convert.
    static let unsupported: Set<String> = ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"]

    var byteSize: Int {
        switch self {
        case .bool, .u8, .i8: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }

    var isFloat: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: true
        default: false
        }
    }
}

enum SafeTensorsLayout {
    /// The element count of `shape`; nil when a dimension is negative or the product of the
    /// non-zero dimensions overflows `Int` (so multiplying the dimensions in any order is safe).
    static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        var hasZero = false
        for dimension in shape {
            if dimension < 0 { return nil }
            if dimension == 0 {
                hasZero = true
                continue
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return hasZero ? 0 : product
    }

    /// IEEE half-precision bits to `Float`.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

// MARK: - reading

/// Validates and decodes the bytes of a safetensors file.
struct SafeTensorsReader {
    static let metadataKey = "__metadata__"

    let source: String

    struct Contents {
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        var indexTensors: [String: IndexTensor] = [:]
    }

    struct Entry {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let count: Int
        let begin: Int
        let end: Int
    }

    /// A JSON integer: its value when it fits in `Int`, otherwise its text.
    enum JSONInteger {
        case value(Int)
        case tooLarge(String)

        var text: String {
            switch self {
            case .value(let value): String(value)
            case .tooLarge(let text): text
            }
        }
    }

    func failure(_ message: String) -> SafeTensorsError {
        SafeTensorsError(source: source, message: message)
    }

    func read(_ file: UnsafeRawBufferPointer) throws -> Contents {
        guard file.count >= 8, let base = file.baseAddress else {
            throw failure("file is \(file.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(file.count - 8) else {
            throw failure("header length \(headerLength) exceeds file size \(file.count)")
        }
        let headerEnd = 8 + Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<headerEnd])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw failure("header is not valid UTF-8")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes), options: [.fragmentsAllowed])
        } catch {
            throw failure("header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw failure("header is not a JSON object") }

        let buffer = UnsafeRawBufferPointer(rebasing: file[headerEnd...])
        var contents = Contents()
        var entries: [Entry] = []
        for name in object.keys.sorted() {
            guard let value = object[name] else { continue }
            if name == Self.metadataKey {
                contents.metadata = try metadata(value)
            } else {
                entries.append(try entry(name, value, bufferSize: buffer.count))
            }
        }
        try checkLayout(entries, bufferSize: buffer.count)
        for entry in entries {
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[entry.begin..<entry.end])
            if entry.dtype.isFloat {
                contents.tensors[entry.name] = decodeFloats(entry, bytes)
            } else {
                contents.indexTensors[entry.name] = try decodeIntegers(entry, bytes)
            }
        }
        return contents
    }

    func metadata(_ value: Any) throws -> [String: String] {
        if value is NSNull { return [:] }
        guard let object = value as? [String: Any] else {
            throw failure("\"\(Self.metadataKey)\" is not a JSON object")
        }
        var metadata: [String: String] = [:]
        for key in object.keys.sorted() {
            guard let text = object[key] as? String else {
                throw failure("\"\(Self.metadataKey)\" value for key '\(key)' is not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// The value of a JSON integer; nil for anything else (strings, booleans, fractions, null).
    static func jsonInteger(_ value: Any) -> JSONInteger? {
        guard !(value is String), let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "q", "i", "l", "s":
            return Int(exactly: number.int64Value).map(JSONInteger.value) ?? .tooLarge(number.stringValue)
        case "Q", "I", "L", "S", "C":
            let unsigned = number.uint64Value
            return unsigned <= UInt64(Int.max) ? .value(Int(unsigned)) : .tooLarge(String(unsigned))
        default:
            // "c" and "B" are booleans; "d" and "f" are fractions or decimals out of range.
            return nil
        }
    }

    func entry(_ name: String, _ value: Any, bufferSize: Int) throws -> Entry {
        let key = "tensor '\(name)'"
        guard let fields = value as? [String: Any] else { throw failure("\(key): entry is not a JSON object") }

        guard let dtypeValue = fields["dtype"] else { throw failure("\(key): missing \"dtype\"") }
        guard let dtypeName = dtypeValue as? String else { throw failure("\(key): \"dtype\" is not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            if SafeTensorsDType.unsupported.contains(dtypeName) {
                throw failure("\(key): dtype \"\(dtypeName)\" is not supported")
            }
            throw failure("\(key): unknown dtype \"\(dtypeName)\"")
        }

        guard let shapeValue = fields["shape"] else { throw failure("\(key): missing \"shape\"") }
        guard let dimensions = shapeValue as? [Any] else {
            throw failure("\(key): \"shape\" is not an array of integers")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimensions.count)
        for dimension in dimensions {
            switch Self.jsonInteger(dimension) {
            case .value(let value): shape.append(value)
            case .tooLarge(let text): throw failure("\(key): dimension \(text) in \"shape\" is too large")
            case nil: throw failure("\(key): \"shape\" is not an array of integers")
            }
        }
        if let negative = shape.first(where: { $0 < 0 }) {
            throw failure("\(key): negative dimension \(negative) in shape \(shape)")
        }

        guard let offsetsValue = fields["data_offsets"] else { throw failure("\(key): missing \"data_offsets\"") }
        guard let offsetValues = offsetsValue as? [Any], offsetValues.count == 2,
              let first = Self.jsonInteger(offsetValues[0]), let second = Self.jsonInteger(offsetValues[1])
        else {
            throw failure("\(key): \"data_offsets\" is not an array of two integers")
        }
        let offsetsText = "data_offsets [\(first.text), \(second.text)]"
        let endBeforeBegin: Bool
        switch (first, second) {
        case (.value(let begin), .value(let end)): endBeforeBegin = end < begin
        case (.tooLarge, .value): endBeforeBegin = true
        default: endBeforeBegin = false
        }
        if endBeforeBegin { throw failure("\(key): \(offsetsText) end before begin") }
        guard case .value(let begin) = first, case .value(let end) = second, begin >= 0, end <= bufferSize else {
            throw failure("\(key): \(offsetsText) are outside the data buffer of \(bufferSize) bytes")
        }

        guard let count = SafeTensorsLayout.elementCount(of: shape) else {
            throw failure("\(key): shape \(shape) has too many elements")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw failure("\(key): shape \(shape) has too many elements") }
        guard end - begin == byteCount else {
            throw failure(
                "\(key): dtype \(dtype.rawValue) and shape \(shape) need \(byteCount) bytes, "
                    + "\(offsetsText) hold \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end)
    }

    /// Requires the tensors to tile the data buffer exactly: no overlaps, no unused bytes.
    func checkLayout(_ entries: [Entry], bufferSize: Int) throws {
        let ordered = entries.sorted {
            ($0.begin, $0.end) != ($1.begin, $1.end) ? ($0.begin, $0.end) < ($1.begin, $1.end) : $0.name < $1.name
        }
        var cursor = 0
        var previous: Entry?
        for entry in ordered {
            if entry.begin < cursor, let previous {
                throw failure(
                    "tensors '\(previous.name)' (data_offsets [\(previous.begin), \(previous.end)]) and "
                        + "'\(entry.name)' (data_offsets [\(entry.begin), \(entry.end)]) overlap")
            }
            if entry.begin > cursor {
                let place = previous.map { "between tensors '\($0.name)' and '\(entry.name)'" }
                    ?? "before tensor '\(entry.name)'"
                throw failure("hole in the data buffer: bytes \(cursor)..<\(entry.begin) \(place) are not used")
            }
            cursor = entry.end
            previous = entry
        }
        if cursor < bufferSize {
            let place = previous.map { "after tensor '\($0.name)' are not used" } ?? "are not used by any tensor"
            throw failure("hole in the data buffer: bytes \(cursor)..<\(bufferSize) \(place)")
        }
    }

    func decodeFloats(_ entry: Entry, _ bytes: UnsafeRawBufferPointer) -> Tensor {
        let storage = TensorStorage(count: entry.count)
        let out = storage.pointer
        if entry.count > 0, let source = bytes.baseAddress {
            switch entry.dtype {
            case .f32:
                #if _endian(little)
                UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: bytes.count)
                #else
                for i in 0..<entry.count { out[i] = Float(bitPattern: Self.load(source, i, UInt32.self)) }
                #endif
            case .f64:
                for i in 0..<entry.count { out[i] = Float(Double(bitPattern: Self.load(source, i, UInt64.self))) }
            case .f16:
                for i in 0..<entry.count {
                    out[i] = SafeTensorsLayout.float(fromHalf: Self.load(source, i, UInt16.self))
                }
            case .bf16:
                for i in 0..<entry.count { out[i] = Float(bitPattern: UInt32(Self.load(source, i, UInt16.self)) << 16) }
            default:
                fatalError("[SafeTensorsReader] \(entry.dtype.rawValue) is not a float dtype")
            }
        }
        return Tensor(shape: entry.shape, storage: storage)
    }

    func decodeIntegers(_ entry: Entry, _ bytes: UnsafeRawBufferPointer) throws -> IndexTensor {
        var values = [Int64](repeating: 0, count: entry.count)
        if entry.count > 0, let source = bytes.baseAddress {
            try values.withUnsafeMutableBufferPointer { out in
                switch entry.dtype {
                case .i64:
                    #if _endian(little)
                    UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: source, byteCount: bytes.count)
                    #else
                    for i in 0..<entry.count { out[i] = Self.load(source, i, Int64.self) }
                    #endif
                case .i32: for i in 0..<entry.count { out[i] = Int64(Self.load(source, i, Int32.self)) }
                case .i16: for i in 0..<entry.count { out[i] = Int64(Self.load(source, i, Int16.self)) }
                case .i8: for i in 0..<entry.count { out[i] = Int64(Self.load(source, i, Int8.self)) }
                case .u32: for i in 0..<entry.count { out[i] = Int64(Self.load(source, i, UInt32.self)) }
                case .u16: for i in 0..<entry.count { out[i] = Int64(Self.load(source, i, UInt16.self)) }
                case .u8: for i in 0..<entry.count { out[i] = Int64(Self.load(source, i, UInt8.self)) }
                case .bool: for i in 0..<entry.count { out[i] = Self.load(source, i, UInt8.self) == 0 ? 0 : 1 }
                case .u64:
                    for i in 0..<entry.count {
                        let value = Self.load(source, i, UInt64.self)
                        guard let narrowed = Int64(exactly: value) else {
                            throw failure(
                                "tensor '\(entry.name)': U64 value \(value) at index \(i) does not fit in Int64")
                        }
                        out[i] = narrowed
                    }
                default:
                    fatalError("[SafeTensorsReader] \(entry.dtype.rawValue) is not an integer dtype")
                }
            }
        }
        return IndexTensor(shape: entry.shape, values: values)
    }

    /// Element `index` of a little-endian array of `T` at `base`.
    @inline(__always)
    static func load<T: FixedWidthInteger>(_ base: UnsafeRawPointer, _ index: Int, _: T.Type) -> T {
        T(littleEndian: base.loadUnaligned(fromByteOffset: index &* MemoryLayout<T>.size, as: T.self))
    }
}

// MARK: - atomic file replacement

enum SafeTensorsFile {
    /// Writes `data` to a temporary file in `folder`, flushes it, then renames it to `path`.
    /// On any failure the temporary file is removed and `path` is left as it was.
    static func replace(path: String, folder: String, fileName: String, with data: Data) throws {
        func failure(_ what: String, _ code: Int32) -> SafeTensorsError {
            SafeTensorsError(source: path, message: "\(what): \(String(cString: strerror(code)))")
        }
        let temporary = (folder.hasSuffix("/") ? folder : folder + "/") + ".\(fileName).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(folder)", errno) }

        var written = 0
        var problem: SafeTensorsError?
        data.withUnsafeBytes { raw in
            while written < raw.count, let base = raw.baseAddress {
                let result = systemWrite(descriptor, base + written, raw.count - written)
                if result < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    problem = failure("cannot write \(temporary)", code)
                    return
                }
                written += result
            }
        }
        if problem == nil, fsync(descriptor) != 0 { problem = failure("cannot flush \(temporary)", errno) }
        if close(descriptor) != 0, problem == nil { problem = failure("cannot close \(temporary)", errno) }
        if problem == nil, rename(temporary, path) != 0 { problem = failure("cannot replace the file", errno) }
        if let problem {
            unlink(temporary)
            throw problem
        }
        // Make the rename itself durable; a folder that cannot be flushed is not an error.
        let folderDescriptor = open(folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            _ = close(folderDescriptor)
        }
    }

    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #elseif canImport(Musl)
        Musl.write(descriptor, bytes, count)
        #else
        Darwin.write(descriptor, bytes, count)
        #endif
    }
}
