import Crypto
import Foundation

/// SHA-256, streaming: feed bytes with `update`, read the digest with `finalize`. The hashing is
/// apple/swift-crypto's (BoringSSL's on Linux, with its vector code); this type keeps the host's
/// small API around it: one-shot digests of bytes and of files, and lowercase hexadecimal.
public struct SHA256: @unchecked Sendable {
    // swift-crypto 3 does not mark its hasher Sendable; it is a value with copy-on-write state, and
    // an instance here is used by one thread at a time.
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed so far (the hasher can go on).
    public func finalize() -> [UInt8] { Array(hasher.finalize()) }

    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of the whole file behind `fileDescriptor`, read from offset 0 with `pread` (the
    /// descriptor's own offset does not move).
    public static func hash(fileDescriptor: Int32) throws -> [UInt8] {
        var hasher = SHA256()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let read = pread(fileDescriptor, buffer, chunk, offset)
            if read < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if read == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: read))
            offset += off_t(read)
        }
        return hasher.finalize()
    }

    /// The digest of the file at `path`.
    public static func hash(file path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        return try hash(fileDescriptor: descriptor)
    }

    /// Lowercase hexadecimal.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
