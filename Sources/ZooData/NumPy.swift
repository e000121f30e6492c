import Foundation

/// NumPy `.npy` arrays (format versions 1–3) and `.npz` archives of them (stored or deflated).
/// Supported element types: `|u1` (images), `<f4`, `<f8` (features), `<i8`, `<i4`, `|i1`, `<u2`
/// (labels), little-endian, C order.
public enum NumPy {
    /// One array: its shape and its elements as unsigned bytes, floats or integers.
    public struct Array: Sendable {
        public enum Elements: Sendable {
            case bytes([UInt8])
            case floats([Float])
            case integers([Int])
        }
        public let shape: [Int]
        public let elements: Elements

        public init(shape: [Int], elements: Elements) {
            (self.shape, self.elements) = (shape, elements)
        }
    }

    /// Reads a `.npy` file.
    public static func load(_ path: String) throws -> Array {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        return try parse(data, file: path)
    }

    /// Reads every array of a `.npz` file, keyed by name without `.npy`.
    public static func loadArchive(_ path: String) throws -> [String: Array] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        var arrays: [String: Array] = [:]
        for member in try ZipArchive.members(of: data, file: path) where member.name.hasSuffix(".npy") {
            let name = String(member.name.dropLast(4))
            arrays[name] = try parse(member.contents, file: "\(path)[\(member.name)]")
        }
        return arrays
    }

    /// A dataset from images `[N, …]` (uint8 or float) and integer labels `[N]`.
    public static func dataset(images: Array, labels: Array, file: String) throws -> Dataset {
        guard case .integers(let values) = labels.elements, labels.shape.count == 1 else {
            throw DataError(file: file, "labels must be a 1-dimensional integer array, found shape \(labels.shape)")
        }
        guard images.shape.first == values.count else {
            throw DataError(file: file, "\(values.count) labels for \(images.shape.first ?? 0) samples (images shape \(images.shape))")
        }
        let sampleShape = Swift.Array(images.shape.dropFirst())
        switch images.elements {
        case .bytes(let bytes): return try Dataset.checked(values: .bytes(bytes), sampleShape: sampleShape, labels: values, file: file)
        case .floats(let floats): return try Dataset.checked(values: .floats(floats), sampleShape: sampleShape, labels: values, file: file)
        case .integers: throw DataError(file: file, "images must be uint8 or float, found an integer array")
        }
    }

    /// Where a `.npy` file's elements are and what they are, from its header; checks that the file
    /// holds exactly the elements its shape asks for. Reads only the header's bytes.
    struct Layout {
        /// The element type as NumPy spells it, e.g. `|u1`.
        let descriptor: String
        let shape: [Int]
        /// The offset of the first element.
        let dataStart: Int
        let elementSize: Int
        var elementCount: Int { shape.reduce(1, *) }
    }

    static let elementSizes = ["|u1": 1, "<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4, "|i1": 1, "<u2": 2]

    static func layout(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Layout {
        guard bytes.count >= 10, bytes[0] == 0x93, Swift.Array(bytes[1..<6]) == Swift.Array("NUMPY".utf8) else {
            throw DataError(file: file, "wrong magic number: not a .npy file")
        }
        let major = bytes[6]
        let headerLengthSize = major == 1 ? 2 : 4
        guard (1...3).contains(major), bytes.count >= 8 + headerLengthSize else {
            throw DataError(file: file, "unsupported .npy format version \(major).\(bytes[7])")
        }
        let headerLength = (0..<headerLengthSize).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        let dataStart = 8 + headerLengthSize + headerLength
        guard bytes.count >= dataStart else {
            throw DataError(file: file, "header length: \(headerLength) bytes, more than the \(bytes.count - 8 - headerLengthSize) the file has after it")
        }
        let header = String(decoding: bytes[(8 + headerLengthSize)..<dataStart], as: UTF8.self)
        let shown = header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
        guard let descr = field("descr", in: header), let order = field("fortran_order", in: header),
              let shapeText = field("shape", in: header) else {
            throw DataError(file: file, "header \(shown) lacks descr, fortran_order or shape")
        }
        guard order == "False" else { throw DataError(file: file, "Fortran-ordered arrays are not supported") }
        let shape = try parseShape(shapeText, file: file)
        let count = try ReadLimits.elementCount(shape, file: file, field: "shape")
        let descriptor = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard let size = elementSizes[descriptor] else {
            throw DataError(file: file, "element type \(descriptor) is not supported (supported: \(elementSizes.keys.sorted().joined(separator: ", ")))")
        }
        let found = bytes.count - dataStart
        let (needed, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, found == needed else {
            throw DataError(file: file, "shape \(shape) of \(descriptor) needs \(overflow ? "more than Int.max" : "\(needed)") bytes of data, "
                                + "the file has \(found)")
        }
        // The elements are converted to Int or Float arrays of 8 or 4 bytes each.
        _ = try ReadLimits.byteCount(count, elementSize: 8, file: file, field: "shape")
        return Layout(descriptor: descriptor, shape: shape, dataStart: dataStart, elementSize: size)
    }

    static func parse(_ data: Data, file: String) throws -> Array {
        let bytes = [UInt8](data)
        let layout = try bytes.withUnsafeBytes { try self.layout($0, file: file) }
        let (descriptor, shape, dataStart, count) = (layout.descriptor, layout.shape, layout.dataStart, layout.elementCount)
        let body = bytes[dataStart...]
        func load<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
            body.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self) }
        }
        let elements: Array.Elements
        switch descriptor {
        case "|u1": elements = .bytes(Swift.Array(body))
        case "<f4": elements = .floats((0..<count).map { Float(bitPattern: load(UInt32.self, $0).littleEndian) })
        case "<f8": elements = .floats((0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0).littleEndian)) })
        case "<i8": elements = .integers((0..<count).map { Int(Int64(littleEndian: load(Int64.self, $0))) })
        case "<i4": elements = .integers((0..<count).map { Int(Int32(littleEndian: load(Int32.self, $0))) })
        case "<u2": elements = .integers((0..<count).map { Int(UInt16(littleEndian: load(UInt16.self, $0))) })
        default: elements = .integers(body.map { Int(Int8(bitPattern: $0)) })
        }
        return Array(shape: shape, elements: elements)
    }

    /// The extents of a shape tuple such as `(60000, 28, 28)`, `(10,)` or `()`; anything but
    /// non-negative integers is refused.
    static func parseShape(_ text: String, file: String) throws -> [Int] {
        guard text.hasPrefix("("), text.hasSuffix(")") else { throw DataError(file: file, "shape \(text.prefix(80)) is not a tuple") }
        let cells = text.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let extents = cells.last == "" ? Swift.Array(cells.dropLast()) : cells
        if extents == [""] { return [] }
        return try extents.map { cell in
            guard let extent = Int(cell), extent >= 0 else {
                throw DataError(file: file, "shape \(text.prefix(80)): extent \"\(cell.prefix(40))\" is not a non-negative integer")
            }
            return extent
        }
    }

    /// The text of `'key': value` in a .npy header dictionary.
    private static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var rest = header[range.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
        return String(rest).trimmingCharacters(in: .whitespaces)
    }
}
