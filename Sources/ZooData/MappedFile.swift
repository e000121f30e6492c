import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only into memory. Its pages are read from disk when they are first touched,
/// and the kernel may drop them again under memory pressure, so a data set larger than memory can
/// be read sample by sample. The mapping ends with the object.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// The file's size in bytes.
    let count: Int
    private let base: UnsafeRawPointer?

    init(_ path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DataError(file: path, "cannot read the file") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DataError(file: path, "cannot read the file") }
        count = Int(status.st_size)
        guard count > 0 else { base = nil; return }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw DataError(file: path, "cannot map the file into memory")
        }
        base = UnsafeRawPointer(address)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The file's bytes, valid while the object lives.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
