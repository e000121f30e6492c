import Foundation

/// What the loader needs to know about a shared library before it maps it, read from the file
/// descriptor it hashed (64-bit little-endian ELF, as on x86-64 and AArch64 Linux).
public struct ELFInfo: Sendable, Equatable {
    /// DT_NEEDED entries, in order.
    public var needed: [String]
    /// DT_RUNPATH and DT_RPATH entries (colon-separated lists, unsplit).
    public var runPaths: [String]
    /// Whether a non-empty `swift5_*` section (Swift type metadata) is present, as in a library
    /// that links the Swift runtime statically.
    public var hasSwiftMetadata: Bool

    /// Built from Swift: it needs `libswiftCore.so` or carries Swift metadata. Such a library is
    /// never unloaded (unmapping Swift code breaks later type look-ups in the runtime).
    public var isSwift: Bool { needed.contains { $0.contains("libswiftCore.so") } || hasSwiftMetadata }

    /// Whether a run path uses `$ORIGIN`, which resolves to `/proc/self/fd` when the library is
    /// mapped through its descriptor.
    public var usesOrigin: Bool { runPaths.contains { $0.contains("$ORIGIN") || $0.contains("${ORIGIN}") } }
}

public enum ELFInspector {
    /// Checks the ELF file behind `fileDescriptor` strictly (header, program headers, dynamic
    /// section, string, symbol, hash, version and relocation tables, init and fini arrays) so that
    /// a file that passes can be handed to glibc's `dlopen` without the loader reading or writing
    /// outside the mapped image. Reads only what it checks, with `pread`.
    public static func validate(fileDescriptor: Int32) throws -> ELFInfo {
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else {
            throw ELFError("file", "fstat failed: \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw ELFError("file", "not a regular file") }
        guard let size = UInt64(exactly: status.st_size), size >= 64 else {
            throw ELFError("file", "\(status.st_size) bytes, shorter than the 64-byte ELF header")
        }
        var validator = ELFValidator(descriptor: fileDescriptor, fileSize: size)
        let checked = try validator.validate()
        return ELFInfo(needed: checked.needed, runPaths: checked.runPaths, hasSwiftMetadata: hasSwiftSections(validator))
    }

    /// The same for the file at `path`.
    public static func validate(path: String) throws -> ELFInfo {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ELFError("file", "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        return try validate(fileDescriptor: descriptor)
    }

    /// `validate`, with nil for a file it refuses.
    public static func inspect(fileDescriptor: Int32) -> ELFInfo? { try? validate(fileDescriptor: fileDescriptor) }

    /// The same for the file at `path`.
    public static func inspect(path: String) -> ELFInfo? { try? validate(path: path) }

    /// Whether a non-empty `swift5_*` section is present. Section headers are optional for the
    /// loader, so a missing or malformed section header table only means "no".
    static func hasSwiftSections(_ reader: ELFValidator) -> Bool {
        guard let header = try? reader.read(0, 64, "ELF header") else { return false }
        let offset = header.u64(40), entrySize = UInt64(header.u16(58)), count = UInt64(header.u16(60))
        let namesIndex = UInt64(header.u16(62))
        guard entrySize >= 64, count > 0, namesIndex < count, let tableSize = entrySize.times(count),
            let sections = try? reader.read(offset, tableSize, "section headers"),
            let namesBase = Int(exactly: namesIndex * entrySize), let stride = Int(exactly: entrySize)
        else { return false }
        let namesOffset = sections.u64(namesBase + 24), namesSize = sections.u64(namesBase + 32)
        guard namesSize <= 16 << 20, let names = try? reader.read(namesOffset, namesSize, "section names") else { return false }
        return (0..<Int(count)).contains { index in
            let base = index * stride
            guard sections.u64(base + 32) > 0, let name = names.cString(at: UInt64(sections.u32(base))) else { return false }
            return name.hasPrefix("swift5_")
        }
    }
}
