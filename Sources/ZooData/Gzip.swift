import CZlib
import Foundation

/// Decompression with zlib: gzip files and raw deflate streams (zip members).
enum Inflate {
    /// Whether `data` starts with the gzip magic number.
    static func isGzip(_ data: Data) -> Bool { data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B }

    /// Decompresses gzip (`raw == false`) or raw deflate (`raw == true`) data. With `expected` (a
    /// zip member's size) the output may not exceed it; without, it may not exceed the memory budget.
    static func decompress(_ data: Data, raw: Bool, expected: Int? = nil, file: String) throws -> Data {
        var stream = z_stream()
        let windowBits: Int32 = raw ? -MAX_WBITS : MAX_WBITS + 16
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(file: file, "zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        let limit = expected ?? ReadLimits.memoryBudget
        // One byte more than the limit: producing it shows that the data exceeds the limit.
        let room = limit == Int.max ? limit : limit + 1
        let (guess, overflow) = data.count.multipliedReportingOverflow(by: 4)
        var output = Data(count: Swift.min(Swift.max(expected ?? (overflow ? room : guess), 1024), room))
        var produced = 0
        var exceeded = false
        let status: Int32 = data.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            var remaining = input.count
            var result = Z_OK
            while result == Z_OK {
                if produced > limit { exceeded = true; break }
                if produced == output.count { output.count = Swift.min(output.count &* 2, room) }
                // zlib counts in 32 bits: feed and drain at most 1 GiB at a time.
                if stream.avail_in == 0 && remaining > 0 {
                    stream.avail_in = uInt(Swift.min(remaining, 1 << 30))
                    remaining -= Int(stream.avail_in)
                }
                result = output.withUnsafeMutableBytes { buffer in
                    let chunk = Swift.min(buffer.count - produced, 1 << 30)
                    stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress.map { $0 + produced }
                    stream.avail_out = uInt(chunk)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    produced += chunk - Int(stream.avail_out)
                    return code
                }
                if result == Z_BUF_ERROR && (stream.avail_in > 0 || remaining > 0 || produced == output.count) { result = Z_OK }
            }
            return result
        }
        if exceeded || produced > limit {
            let what = expected == nil ? "the memory budget of \(ReadLimits.describe(limit)) (set ZOO_MEMORY_BUDGET to change it)"
                : "the \(limit) bytes its directory entry says"
            throw DataError(file: file, "compressed data decompresses to more than \(what)")
        }
        guard status == Z_STREAM_END else {
            throw DataError(file: file, "compressed data is damaged or truncated (zlib status \(status) after \(produced) bytes)")
        }
        output.count = produced
        return output
    }

    /// The CRC-32 (as zip and gzip use it) of `data`.
    static func crc32(_ data: Data) -> Int {
        data.withUnsafeBytes { buffer in
            var crc: uLong = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let length = Swift.min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.bindMemory(to: Bytef.self).baseAddress! + offset, uInt(length))
                offset += length
            }
            return Int(crc)
        }
    }
}
