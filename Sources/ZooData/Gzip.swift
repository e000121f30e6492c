import CZlib
import Foundation

/// Decompression with zlib: gzip files and raw deflate streams (zip members).
enum Inflate {
    /// Whether `data` starts with the gzip magic number.
    static func isGzip(_ data: Data) -> Bool { data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B }

    /// Decompresses gzip (`raw == false`) or raw deflate (`raw == true`) data; `expected` sizes the output when known.
    static func decompress(_ data: Data, raw: Bool, expected: Int? = nil, file: String) throws -> Data {
        var stream = z_stream()
        let windowBits: Int32 = raw ? -MAX_WBITS : MAX_WBITS + 16
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(file: file, "zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        var output = Data(count: Swift.max(expected ?? data.count * 4, 1024))
        var produced = 0
        let status: Int32 = data.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            var result = Z_OK
            while result == Z_OK {
                if produced == output.count { output.count *= 2 }
                result = output.withUnsafeMutableBytes { buffer in
                    stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress! + produced
                    stream.avail_out = uInt(buffer.count - produced)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    produced = buffer.count - Int(stream.avail_out)
                    return code
                }
                if result == Z_BUF_ERROR && stream.avail_in > 0 { result = Z_OK }
            }
            return result
        }
        guard status == Z_STREAM_END else {
            throw DataError(file: file, "compressed data is damaged or truncated (zlib status \(status) after \(produced) bytes)")
        }
        output.count = produced
        return output
    }
}
