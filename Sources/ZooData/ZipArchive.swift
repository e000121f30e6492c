import Foundation

/// The members of a zip archive (as `numpy.savez` writes: stored or deflated), read through its
/// central directory.
enum ZipArchive {
    struct Member {
        let name: String
        let contents: Data
    }

    static func members(of data: Data, file: String) throws -> [Member] {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // The end-of-central-directory record: signature 0x06054b50 within the last 64 KiB + 22 bytes.
        guard bytes.count >= 22, let end = stride(from: bytes.count - 22, through: Swift.max(0, bytes.count - 65_557), by: -1)
            .first(where: { u32($0) == 0x0605_4B50 }) else {
            throw DataError(file: file, "not a zip archive (no end-of-central-directory record)")
        }
        let count = u16(end + 10)
        var offset = u32(end + 16)
        var members: [Member] = []
        for _ in 0..<count {
            guard offset + 46 <= bytes.count, u32(offset) == 0x0201_4B50 else {
                throw DataError(file: file, "damaged zip central directory at byte \(offset)")
            }
            let method = u16(offset + 10), compressedSize = u32(offset + 20), size = u32(offset + 24)
            let nameLength = u16(offset + 28), extraLength = u16(offset + 30), commentLength = u16(offset + 32)
            let local = u32(offset + 42)
            guard offset + 46 + nameLength <= bytes.count else { throw DataError(file: file, "damaged zip entry name at byte \(offset)") }
            let name = String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
            guard local + 30 <= bytes.count, u32(local) == 0x0403_4B50 else {
                throw DataError(file: file, "member \(name): damaged local header at byte \(local)")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + compressedSize <= bytes.count else {
                throw DataError(file: file, "member \(name): \(compressedSize) bytes of data run past the end of the file (truncated)")
            }
            let raw = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + compressedSize))
            let contents: Data
            switch method {
            case 0: contents = raw
            case 8: contents = try Inflate.decompress(raw, raw: true, expected: size, file: "\(file)[\(name)]")
            default: throw DataError(file: file, "member \(name): compression method \(method) is not supported (stored or deflate)")
            }
            guard contents.count == size else {
                throw DataError(file: file, "member \(name): \(contents.count) bytes after decompression, the directory says \(size)")
            }
            members.append(Member(name: name, contents: contents))
            offset += 46 + nameLength + extraLength + commentLength
        }
        return members
    }
}
