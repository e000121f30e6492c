import CZlib
import Foundation

/// The members of a zip archive (as `numpy.savez` writes: stored or deflated, ZIP64 when large),
/// read through its central directory. Every offset and size is checked against the file before
/// use, sizes against the memory budget (`ReadLimits`), and each member's CRC-32 against its data.
enum ZipArchive {
    struct Member {
        let name: String
        let contents: Data
    }

    /// Little-endian fields of the archive's bytes; a field outside the file is an error naming it.
    struct Fields {
        let bytes: [UInt8]
        let file: String

        func value(_ at: Int, _ width: Int, _ field: String) throws -> Int {
            guard at >= 0, width <= 8, at <= bytes.count - width else {
                throw DataError(file: file, "\(field) at byte \(at) lies outside the file's \(bytes.count) bytes (truncated?)")
            }
            var result: UInt64 = 0
            for k in 0..<width { result |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            guard let value = Int(exactly: result) else {
                throw DataError(file: file, "\(field) at byte \(at) is \(result), larger than any file")
            }
            return value
        }
        func u16(_ at: Int, _ field: String) throws -> Int { try value(at, 2, field) }
        func u32(_ at: Int, _ field: String) throws -> Int { try value(at, 4, field) }
        func u64(_ at: Int, _ field: String) throws -> Int { try value(at, 8, field) }
    }

    static let endSignature = 0x0605_4B50, zip64EndSignature = 0x0606_4B50, zip64LocatorSignature = 0x0706_4B50
    static let centralSignature = 0x0201_4B50, localSignature = 0x0403_4B50

    static func members(of data: Data, file: String) throws -> [Member] {
        let fields = Fields(bytes: [UInt8](data), file: file)
        let bytes = fields.bytes
        // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
        guard bytes.count >= 22, let end = try stride(from: bytes.count - 22, through: Swift.max(0, bytes.count - 65_557), by: -1)
            .first(where: { try fields.u32($0, "signature") == endSignature }) else {
            throw DataError(file: file, "not a zip archive (no end-of-central-directory record)")
        }
        var count = try fields.u16(end + 10, "entry count")
        var directorySize = try fields.u32(end + 12, "central directory size")
        var offset = try fields.u32(end + 16, "central directory offset")
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || offset == 0xFFFF_FFFF, end >= 20,
           try fields.u32(end - 20, "ZIP64 locator signature") == zip64LocatorSignature {
            let record = try fields.u64(end - 12, "ZIP64 end record offset")
            guard try fields.u32(record, "ZIP64 end record signature") == zip64EndSignature else {
                throw DataError(file: file, "damaged ZIP64 end-of-central-directory record at byte \(record)")
            }
            count = try fields.u64(record + 32, "ZIP64 entry count")
            directorySize = try fields.u64(record + 40, "ZIP64 central directory size")
            offset = try fields.u64(record + 48, "ZIP64 central directory offset")
        }
        // Each entry takes at least 46 bytes of the directory, which lies inside the file.
        guard offset <= bytes.count, directorySize <= bytes.count - offset, count <= directorySize / 46 else {
            throw DataError(file: file, "central directory of \(count) entries, \(directorySize) bytes at byte \(offset), "
                                + "does not fit in the file's \(bytes.count) bytes")
        }
        var members: [Member] = []
        for _ in 0..<count {
            let (member, next) = try entry(at: offset, fields)
            if let member { members.append(member) }
            offset = next
        }
        return members
    }

    /// The member whose central-directory entry starts at `offset` (nil for a folder), and the next entry's offset.
    static func entry(at offset: Int, _ fields: Fields) throws -> (Member?, Int) {
        let file = fields.file
        guard try fields.u32(offset, "central directory entry") == centralSignature else {
            throw DataError(file: file, "damaged zip central directory at byte \(offset)")
        }
        let flags = try fields.u16(offset + 8, "flags"), method = try fields.u16(offset + 10, "compression method")
        let crc = try fields.u32(offset + 16, "CRC-32")
        var compressedSize = try fields.u32(offset + 20, "compressed size"), size = try fields.u32(offset + 24, "size")
        let nameLength = try fields.u16(offset + 28, "name length"), extraLength = try fields.u16(offset + 30, "extra length")
        let commentLength = try fields.u16(offset + 32, "comment length")
        var local = try fields.u32(offset + 42, "local header offset")
        let nameStart = offset + 46
        guard nameStart + nameLength <= fields.bytes.count else { throw DataError(file: file, "damaged zip entry name at byte \(offset)") }
        let name = String(decoding: fields.bytes[nameStart..<(nameStart + nameLength)], as: UTF8.self)
        // ZIP64: the fields set to 0xFFFFFFFF are in the extra field 0x0001, in this order.
        var extra = nameStart + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let tag = try fields.u16(extra, "extra field tag"), length = try fields.u16(extra + 2, "extra field length")
            if tag == 0x0001 {
                var at = extra + 4
                func next(_ what: String) throws -> Int {
                    guard at + 8 <= extra + 4 + length else { throw DataError(file: file, "member \(name): ZIP64 extra field lacks the \(what)") }
                    defer { at += 8 }
                    return try fields.u64(at, "member \(name): ZIP64 \(what)")
                }
                if size == 0xFFFF_FFFF { size = try next("size") }
                if compressedSize == 0xFFFF_FFFF { compressedSize = try next("compressed size") }
                if local == 0xFFFF_FFFF { local = try next("local header offset") }
            }
            extra += 4 + length
        }
        let following = extraEnd + commentLength
        if name.hasSuffix("/") { return (nil, following) }
        guard flags & 1 == 0 else { throw DataError(file: file, "member \(name) is encrypted") }
        guard try fields.u32(local, "member \(name): local header") == localSignature else {
            throw DataError(file: file, "member \(name): damaged local header at byte \(local)")
        }
        let start = local + 30 + (try fields.u16(local + 26, "local name length")) + (try fields.u16(local + 28, "local extra length"))
        guard start <= fields.bytes.count, compressedSize <= fields.bytes.count - start else {
            throw DataError(file: file, "member \(name): \(compressedSize) bytes of data run past the end of the file (truncated)")
        }
        try ReadLimits.withinBudget(size, file: file, field: "member \(name): size")
        let raw = Data(fields.bytes[start..<(start + compressedSize)])
        let contents: Data
        switch method {
        case 0: contents = raw
        case 8: contents = try Inflate.decompress(raw, raw: true, expected: size, file: "\(file)[\(name)]")
        default: throw DataError(file: file, "member \(name): compression method \(method) is not supported (stored or deflate)")
        }
        guard contents.count == size else {
            throw DataError(file: file, "member \(name): \(contents.count) bytes after decompression, the directory says \(size)")
        }
        let found = Inflate.crc32(contents)
        guard found == crc else {
            throw DataError(file: file, "member \(name): CRC-32 of the data is \(hex(found)), the directory says \(hex(crc)) (damaged)")
        }
        return (Member(name: name, contents: contents), following)
    }

    static func hex(_ value: Int) -> String { "0x" + String(value, radix: 16, uppercase: true) }
}
