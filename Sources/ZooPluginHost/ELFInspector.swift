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
    /// Reads the dynamic section and section names of the ELF file behind `fileDescriptor` with
    /// `pread`. Returns nil when the file is not a 64-bit little-endian ELF file or is malformed
    /// (`dlopen` then gives the precise reason).
    public static func inspect(fileDescriptor: Int32) -> ELFInfo? {
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else { return nil }
        let reader = Reader(descriptor: fileDescriptor, size: UInt64(status.st_size))
        return reader.inspect()
    }

    /// The same for the file at `path`.
    public static func inspect(path: String) -> ELFInfo? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return inspect(fileDescriptor: descriptor)
    }

    struct Reader {
        let descriptor: Int32
        let size: UInt64

        func bytes(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard count >= 0, offset <= size, UInt64(count) <= size - offset else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let read = buffer.withUnsafeMutableBytes {
                    pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                }
                if read < 0 && errno == EINTR { continue }
                guard read > 0 else { return nil }
                done += read
            }
            return buffer
        }

        func inspect() -> ELFInfo? {
            guard let header = bytes(0, 64), header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
                header[4] == 2, header[5] == 1  // ELFCLASS64, ELFDATA2LSB
            else { return nil }
            let programOffset = header.u64(32)
            let sectionOffset = header.u64(40)
            let programEntrySize = Int(header.u16(54)), programCount = Int(header.u16(56))
            let sectionEntrySize = Int(header.u16(58)), sectionCount = Int(header.u16(60))
            let sectionNamesIndex = Int(header.u16(62))
            guard programEntrySize >= 56, programCount > 0,
                let programs = bytes(programOffset, programEntrySize * programCount)
            else { return nil }

            struct Segment { let type: UInt32, offset: UInt64, address: UInt64, fileSize: UInt64 }
            let segments = (0..<programCount).map { index in
                let base = index * programEntrySize
                return Segment(type: programs.u32(base), offset: programs.u64(base + 8), address: programs.u64(base + 16),
                               fileSize: programs.u64(base + 32))
            }
            func fileOffset(ofAddress address: UInt64) -> UInt64? {
                for segment in segments where segment.type == 1  // PT_LOAD
                    && address >= segment.address && address - segment.address < segment.fileSize {
                    return segment.offset + (address - segment.address)
                }
                return nil
            }

            var info = ELFInfo(needed: [], runPaths: [], hasSwiftMetadata: false)
            if let dynamic = segments.first(where: { $0.type == 2 }),  // PT_DYNAMIC
                dynamic.fileSize <= 1 << 20, let entries = bytes(dynamic.offset, Int(dynamic.fileSize))
            {
                var stringTable: UInt64?, stringTableSize: UInt64 = 0
                var neededOffsets: [UInt64] = [], runPathOffsets: [UInt64] = []
                for base in stride(from: 0, to: entries.count - 15, by: 16) {
                    let tag = entries.u64(base), value = entries.u64(base + 8)
                    switch tag {
                    case 0: break  // DT_NULL ends the table; later bytes are padding
                    case 1: neededOffsets.append(value)  // DT_NEEDED
                    case 5: stringTable = value  // DT_STRTAB
                    case 10: stringTableSize = value  // DT_STRSZ
                    case 15, 29: runPathOffsets.append(value)  // DT_RPATH, DT_RUNPATH
                    default: continue
                    }
                    if tag == 0 { break }
                }
                if let stringTable, let start = fileOffset(ofAddress: stringTable), stringTableSize > 0,
                    stringTableSize <= 16 << 20, let strings = bytes(start, Int(stringTableSize))
                {
                    info.needed = neededOffsets.compactMap { strings.cString(at: $0) }
                    info.runPaths = runPathOffsets.compactMap { strings.cString(at: $0) }
                }
            }

            if sectionEntrySize >= 64, sectionCount > 0, sectionCount < 65536, sectionNamesIndex < sectionCount,
                let sections = bytes(sectionOffset, sectionEntrySize * sectionCount)
            {
                let namesBase = sectionNamesIndex * sectionEntrySize
                let namesOffset = sections.u64(namesBase + 24), namesSize = sections.u64(namesBase + 32)
                if namesSize <= 16 << 20, let names = bytes(namesOffset, Int(namesSize)) {
                    info.hasSwiftMetadata = (0..<sectionCount).contains { index in
                        let base = index * sectionEntrySize
                        let size = sections.u64(base + 32)
                        guard size > 0, let name = names.cString(at: UInt64(sections.u32(base))) else { return false }
                        return name.hasPrefix("swift5_")
                    }
                }
            }
            return info
        }
    }
}

extension [UInt8] {
    fileprivate func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    fileprivate func u32(_ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
    }
    fileprivate func u64(_ offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
    fileprivate func cString(at offset: UInt64) -> String? {
        guard offset < UInt64(count) else { return nil }
        let start = Int(offset)
        guard let end = self[start...].firstIndex(of: 0) else { return nil }
        return String(decoding: self[start..<end], as: UTF8.self)
    }
}
