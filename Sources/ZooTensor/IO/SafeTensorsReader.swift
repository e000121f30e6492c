import Foundation

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
