import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a file was refused as a plug-in library: `field` names the part of the file, `message` says
/// what was found and what was expected.
public struct ELFError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

extension UInt64 {
    func plus(_ other: UInt64) -> UInt64? {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }
    func times(_ other: UInt64) -> UInt64? {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : product
    }
    var isPowerOfTwo: Bool { self != 0 && self & (self &- 1) == 0 }
}

/// Bytes read from the file; accessors out of range return 0 (callers check sizes first), so no
/// input can make them trap.
struct ELFBytes {
    let bytes: [UInt8]
    var count: Int { bytes.count }
    func u8(_ at: Int) -> UInt8 { at >= 0 && at < bytes.count ? bytes[at] : 0 }
    func u16(_ at: Int) -> UInt16 { UInt16(u8(at)) | UInt16(u8(at &+ 1)) << 8 }
    func u32(_ at: Int) -> UInt32 {
        guard at >= 0, at <= bytes.count - 4 else { return 0 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at &+ 4)) << 32 }
    /// The NUL-terminated string at `offset`, or nil when the offset is outside or unterminated.
    func cString(at offset: UInt64) -> String? {
        guard let start = Int(exactly: offset), start >= 0, start < bytes.count,
            let end = bytes[start...].firstIndex(of: 0)
        else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// Limits on what a plug-in may ask of the loader. Larger files are refused rather than trusted.
enum ELFLimits {
    static let maxProgramHeaders = 512
    /// Total span of the PT_LOAD segments, page-rounded.
    static let maxImageSpan: UInt64 = 1 << 30
    static let maxSegmentAlign: UInt64 = 1 << 24
    static let maxTableBytes: UInt64 = 256 << 20
    static let maxSymbols: UInt64 = 1 << 22
    static let maxTLSSize: UInt64 = 1 << 20
    static let maxChain = 1 << 16
    static let maxNeeded = 1024
}

struct ELFSegment {
    let index: Int, type: UInt32, flags: UInt32, offset: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64,
        align: UInt64
    var readable: Bool { flags & 4 != 0 }
    var writable: Bool { flags & 2 != 0 }
    var executable: Bool { flags & 1 != 0 }
    var name: String {
        switch type {
        case 1: "PT_LOAD"
        case 2: "PT_DYNAMIC"
        case 3: "PT_INTERP"
        case 4: "PT_NOTE"
        case 6: "PT_PHDR"
        case 7: "PT_TLS"
        case 0x6474_e550: "PT_GNU_EH_FRAME"
        case 0x6474_e551: "PT_GNU_STACK"
        case 0x6474_e552: "PT_GNU_RELRO"
        case 0x6474_e553: "PT_GNU_PROPERTY"
        default: "type \(hex(UInt64(type)))"
        }
    }
    var field: String { "program header \(index) (\(name))" }
}

/// Checks an ELF shared object strictly enough that glibc's `dlopen` can map, relocate and
/// initialise it without touching memory outside the mapped image (see `validate`).
struct ELFValidator {
    let descriptor: Int32
    let fileSize: UInt64
    let pageSize: UInt64
    var loads: [ELFSegment] = []
    var machine: UInt16 = 0

    init(descriptor: Int32, fileSize: UInt64) {
        self.descriptor = descriptor
        self.fileSize = fileSize
        let page = sysconf(Int32(_SC_PAGESIZE))
        self.pageSize = page > 0 ? UInt64(page) : 4096
    }

    func read(_ offset: UInt64, _ count: UInt64, _ field: String) throws -> ELFBytes {
        guard let end = offset.plus(count), end <= fileSize else {
            throw ELFError(field, "bytes at offset \(hex(offset)) + size \(hex(count)) exceed the file's \(fileSize) bytes")
        }
        guard count <= ELFLimits.maxTableBytes, let n = Int(exactly: count), let start = off_t(exactly: offset) else {
            throw ELFError(field, "size \(hex(count)) exceeds the limit of \(hex(ELFLimits.maxTableBytes)) bytes")
        }
        var buffer = [UInt8](repeating: 0, count: n)
        var done = 0
        while done < n {
            let got = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return pread(descriptor, base + done, n - done, start + off_t(done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw ELFError(field, "cannot read \(n) bytes at offset \(hex(offset))") }
            done += got
        }
        return ELFBytes(bytes: buffer)
    }

    func alignDown(_ value: UInt64) -> UInt64 { value & ~(pageSize - 1) }

    /// The readable PT_LOAD whose file-backed bytes hold `[address, address + size)`, and the file
    /// offset of `address`.
    func fileOffset(_ address: UInt64, _ size: UInt64, _ field: String) throws -> UInt64 {
        guard let end = address.plus(size) else {
            throw ELFError(field, "address \(hex(address)) + size \(hex(size)) overflows")
        }
        for segment in loads where address >= segment.vaddr && end <= segment.vaddr &+ segment.filesz {
            guard segment.readable else {
                throw ELFError(field, "address \(hex(address)) lies in unreadable \(segment.field)")
            }
            return segment.offset &+ (address &- segment.vaddr)
        }
        throw ELFError(
            field, "address \(hex(address)) + size \(hex(size)) is not inside the file-backed bytes of a PT_LOAD segment")
    }

    func readMemory(_ address: UInt64, _ size: UInt64, _ field: String) throws -> ELFBytes {
        try read(try fileOffset(address, size, field), size, field)
    }

    /// The PT_LOAD whose memory image holds `[address, address + size)`.
    func segment(containing address: UInt64, _ size: UInt64) -> ELFSegment? {
        guard let end = address.plus(size) else { return nil }
        return loads.first { address >= $0.vaddr && end <= $0.vaddr &+ $0.memsz }
    }

    func requireWritable(_ address: UInt64, _ size: UInt64, _ field: String) throws {
        guard let segment = segment(containing: address, size), segment.writable, segment.readable else {
            throw ELFError(field, "target \(hex(address)) + \(size) is not inside a writable PT_LOAD segment")
        }
    }

    /// The address of the next record of a version chain (`vn_next`, `vna_next`, `vd_next`,
    /// `vda_next`): 0 after the last record, else at least the record's `size`, without overflow.
    func chainStep(from address: UInt64, next: UInt64, isLast: Bool, size: UInt64, link: String, last: String,
                   _ field: String) throws -> UInt64 {
        if isLast {
            guard next == 0 else { throw ELFError(field, "\(link) \(next) after \(last), expected 0") }
            return address
        }
        guard next >= size, let moved = address.plus(next) else { throw ELFError(field, "\(link) \(next), expected at least \(size)") }
        return moved
    }

    func requireCode(_ address: UInt64, _ field: String) throws {
        guard loads.contains(where: {
            $0.executable && address >= $0.vaddr && address < $0.vaddr &+ $0.filesz
        }) else {
            throw ELFError(field, "code address \(hex(address)) is not inside the file-backed bytes of an executable PT_LOAD segment")
        }
    }
}

/// Dynamic tags the validator reads or refuses.
enum DT {
    static let null: UInt64 = 0, needed: UInt64 = 1, pltrelsz: UInt64 = 2, pltgot: UInt64 = 3, hash: UInt64 = 4
    static let strtab: UInt64 = 5, symtab: UInt64 = 6, rela: UInt64 = 7, relasz: UInt64 = 8, relaent: UInt64 = 9
    static let strsz: UInt64 = 10, syment: UInt64 = 11, initTag: UInt64 = 12, fini: UInt64 = 13, soname: UInt64 = 14
    static let rpath: UInt64 = 15, symbolic: UInt64 = 16, rel: UInt64 = 17, relsz: UInt64 = 18, relent: UInt64 = 19
    static let pltrel: UInt64 = 20, debug: UInt64 = 21, textrel: UInt64 = 22, jmprel: UInt64 = 23
    static let bindNow: UInt64 = 24, initArray: UInt64 = 25, finiArray: UInt64 = 26, initArraySize: UInt64 = 27
    static let finiArraySize: UInt64 = 28, runpath: UInt64 = 29, flags: UInt64 = 30, preinitArray: UInt64 = 32
    static let preinitArraySize: UInt64 = 33, symtabShndx: UInt64 = 34, relrsz: UInt64 = 35, relr: UInt64 = 36
    static let relrent: UInt64 = 37
    static let gnuHash: UInt64 = 0x6fff_fef5, versym: UInt64 = 0x6fff_fff0, relacount: UInt64 = 0x6fff_fff9
    static let relcount: UInt64 = 0x6fff_fffa, flags1: UInt64 = 0x6fff_fffb, verdef: UInt64 = 0x6fff_fffc
    static let verdefnum: UInt64 = 0x6fff_fffd, verneed: UInt64 = 0x6fff_fffe, verneednum: UInt64 = 0x6fff_ffff
    static let knownOS: Set<UInt64> = [
        0x6fff_fef5, 0x6fff_fff0, 0x6fff_fff9, 0x6fff_fffa, 0x6fff_fffb, 0x6fff_fffc, 0x6fff_fffd, 0x6fff_fffe,
        0x6fff_ffff, 0x6fff_fdf5, 0x6fff_fdf6, 0x6fff_fdf7, 0x6fff_fdf8, 0x6fff_fdf9, 0x6fff_fdfc, 0x6fff_fdfd,
        0x6fff_fdfe, 0x6fff_fdff, 0x6fff_fef6, 0x6fff_fef7, 0x6fff_feff,
    ]
    /// Tags that load other objects or run code at load time beyond what is checked here.
    static let refused: [UInt64: String] = [
        17: "DT_REL (not used on x86-64 or AArch64)", 18: "DT_RELSZ", 19: "DT_RELENT", 22: "DT_TEXTREL (text relocations)",
        32: "DT_PREINIT_ARRAY (not allowed in a shared object)", 33: "DT_PREINIT_ARRAYSZ",
        0x7fff_fffd: "DT_AUXILIARY (filter)", 0x7fff_ffff: "DT_FILTER (filter)", 0x6fff_fefa: "DT_CONFIG",
        0x6fff_fefb: "DT_DEPAUDIT", 0x6fff_fefc: "DT_AUDIT", 0x6fff_fefe: "DT_MOVETAB",
    ]
}

struct ELFSymbol {
    let name: UInt32, info: UInt8, other: UInt8, shndx: UInt16, value: UInt64, size: UInt64
    var type: UInt8 { info & 0xF }
    var binding: UInt8 { info >> 4 }
    var isDefined: Bool { shndx != 0 }
}

struct ELFValidated {
    var needed: [String] = []
    var runPaths: [String] = []
}

extension ELFValidator {
    mutating func validate() throws -> ELFValidated {
        let header = try read(0, 64, "ELF header")
        guard header.u8(0) == 0x7F, header.u8(1) == 0x45, header.u8(2) == 0x4C, header.u8(3) == 0x46 else {
            throw ELFError("ELF header e_ident", "magic is not 7f 45 4c 46 (not an ELF file)")
        }
        guard header.u8(4) == 2 else { throw ELFError("ELF header EI_CLASS", "found \(header.u8(4)), expected 2 (ELFCLASS64)") }
        guard header.u8(5) == 1 else { throw ELFError("ELF header EI_DATA", "found \(header.u8(5)), expected 1 (ELFDATA2LSB)") }
        guard header.u8(6) == 1 else { throw ELFError("ELF header EI_VERSION", "found \(header.u8(6)), expected 1 (EV_CURRENT)") }
        guard header.u8(7) == 0 || header.u8(7) == 3 else {
            throw ELFError("ELF header EI_OSABI", "found \(header.u8(7)), expected 0 (SYSV) or 3 (GNU)")
        }
        guard header.u8(8) == 0 else { throw ELFError("ELF header EI_ABIVERSION", "found \(header.u8(8)), expected 0") }
        for index in 9..<16 where header.u8(index) != 0 {
            throw ELFError("ELF header e_ident[\(index)]", "padding byte is \(header.u8(index)), expected 0")
        }
        guard header.u16(16) == 3 else {
            throw ELFError("ELF header e_type", "found \(header.u16(16)), expected 3 (ET_DYN, a shared object)")
        }
        machine = header.u16(18)
        #if arch(x86_64)
        let host: UInt16 = 62, hostName = "x86-64 (62)"
        #elseif arch(arm64)
        let host: UInt16 = 183, hostName = "AArch64 (183)"
        #else
        let host: UInt16 = 0, hostName = "an unsupported host"
        #endif
        guard machine == 62 || machine == 183 else {
            throw ELFError("ELF header e_machine", "found \(machine), expected x86-64 (62) or AArch64 (183)")
        }
        guard machine == host else { throw ELFError("ELF header e_machine", "found \(machine), but this host is \(hostName)") }
        guard header.u32(20) == 1 else { throw ELFError("ELF header e_version", "found \(header.u32(20)), expected 1") }
        guard header.u16(52) == 64 else { throw ELFError("ELF header e_ehsize", "found \(header.u16(52)), expected 64") }
        guard header.u16(54) == 56 else { throw ELFError("ELF header e_phentsize", "found \(header.u16(54)), expected 56") }
        let phnum = Int(header.u16(56))
        guard phnum > 0, phnum != 0xFFFF, phnum <= ELFLimits.maxProgramHeaders else {
            throw ELFError("ELF header e_phnum", "found \(phnum), expected 1...\(ELFLimits.maxProgramHeaders)")
        }
        let phoff = header.u64(32)
        let table = try read(phoff, UInt64(phnum * 56), "program header table (e_phoff \(hex(phoff)), \(phnum) entries)")
        let segments = (0..<phnum).map { index in
            let base = index * 56
            return ELFSegment(index: index, type: table.u32(base), flags: table.u32(base + 4), offset: table.u64(base + 8),
                              vaddr: table.u64(base + 16), filesz: table.u64(base + 32), memsz: table.u64(base + 40),
                              align: table.u64(base + 48))
        }
        try checkLoads(segments)
        let dynamic = try checkOtherSegments(segments, phoff: phoff, phnum: phnum)
        return try checkDynamic(dynamic, tls: segments.first { $0.type == 7 && $0.memsz > 0 })
    }

    mutating func checkLoads(_ segments: [ELFSegment]) throws {
        for segment in segments where segment.type == 1 {
            let field = segment.field
            guard segment.memsz > 0 else { throw ELFError(field, "p_memsz is 0, expected a non-empty segment") }
            guard segment.filesz <= segment.memsz else {
                throw ELFError(field, "p_filesz \(hex(segment.filesz)) exceeds p_memsz \(hex(segment.memsz))")
            }
            guard let fileEnd = segment.offset.plus(segment.filesz), fileEnd <= fileSize else {
                throw ELFError(field, "p_offset \(hex(segment.offset)) + p_filesz \(hex(segment.filesz)) exceeds the file's \(fileSize) bytes")
            }
            guard let end = segment.vaddr.plus(segment.memsz), end.plus(pageSize) != nil else {
                throw ELFError(field, "p_vaddr \(hex(segment.vaddr)) + p_memsz \(hex(segment.memsz)) overflows")
            }
            guard segment.align.isPowerOfTwo, segment.align >= pageSize, segment.align <= ELFLimits.maxSegmentAlign else {
                throw ELFError(field, "p_align \(hex(segment.align)) is not a power of two between the page size \(hex(pageSize)) and \(hex(ELFLimits.maxSegmentAlign))")
            }
            guard (segment.vaddr &- segment.offset) & (segment.align - 1) == 0 else {
                throw ELFError(field, "p_vaddr \(hex(segment.vaddr)) and p_offset \(hex(segment.offset)) are not congruent modulo p_align \(hex(segment.align))")
            }
            guard segment.filesz > 0 || segment.vaddr & (pageSize - 1) == 0 else {
                throw ELFError(field, "a segment without file bytes must start on a page boundary, p_vaddr is \(hex(segment.vaddr))")
            }
            guard segment.flags & ~UInt32(7) == 0, segment.readable else {
                throw ELFError(field, "p_flags \(hex(UInt64(segment.flags))), expected PF_R with optional PF_W and PF_X")
            }
            if let previous = loads.last {
                let previousEnd = (previous.vaddr &+ previous.memsz &+ pageSize &- 1) & ~(pageSize - 1)
                guard alignDown(segment.vaddr) >= previousEnd else {
                    throw ELFError(field, "p_vaddr \(hex(segment.vaddr)) is not above the end \(hex(previousEnd)) of \(previous.field); PT_LOAD segments must be sorted and must not share pages")
                }
            }
            loads.append(segment)
        }
        guard let first = loads.first, let last = loads.last else {
            throw ELFError("program headers", "no PT_LOAD segment, expected at least one")
        }
        let span = ((last.vaddr &+ last.memsz &+ pageSize &- 1) & ~(pageSize - 1)) &- alignDown(first.vaddr)
        guard span <= ELFLimits.maxImageSpan else {
            throw ELFError("program headers", "PT_LOAD segments span \(hex(span)) bytes, above the limit of \(hex(ELFLimits.maxImageSpan))")
        }
    }

    func checkNotes(_ notes: ELFBytes, _ field: String, property: Bool) throws {
        var at = 0
        var count = 0
        while at < notes.count {
            count += 1
            guard count <= ELFLimits.maxChain, at + 12 <= notes.count else {
                throw ELFError(field, "note at \(at) is truncated (\(notes.count) bytes in all)")
            }
            let nameSize = Int(notes.u32(at)), descSize = Int(notes.u32(at + 4))
            let align = property ? 8 : 4
            let name = at + 12, desc = (name + nameSize + align - 1) / align * align
            let next = (desc + descSize + align - 1) / align * align
            guard next <= notes.count || (next - notes.count < align && desc + descSize <= notes.count) else {
                throw ELFError(field, "note at \(at) with n_namesz \(nameSize) and n_descsz \(descSize) exceeds the segment's \(notes.count) bytes")
            }
            if property {
                guard nameSize == 4, notes.u32(name) == 0x0055_4E47, notes.u32(at + 8) == 5 else {
                    throw ELFError(field, "note at \(at) is not a GNU property note (NT_GNU_PROPERTY_TYPE_0)")
                }
                var p = desc
                while p < desc + descSize {
                    guard p + 8 <= desc + descSize else { throw ELFError(field, "property at \(p) is truncated") }
                    let size = Int(notes.u32(p + 4))
                    let after = p + 8 + (size + 7) / 8 * 8
                    guard after <= desc + descSize else {
                        throw ELFError(field, "property at \(p) with pr_datasz \(size) exceeds the note's descriptor")
                    }
                    p = after
                }
            }
            at = next
        }
    }

    func checkOtherSegments(_ segments: [ELFSegment], phoff: UInt64, phnum: Int) throws -> ELFSegment {
        var seen: [UInt32: Int] = [:]
        var dynamic: ELFSegment?
        for segment in segments {
            let field = segment.field
            if [2, 3, 6, 7, 0x6474_e550, 0x6474_e551, 0x6474_e552, 0x6474_e553].contains(segment.type) {
                seen[segment.type, default: 0] += 1
                guard seen[segment.type, default: 0] == 1 else { throw ELFError(field, "a second \(segment.name), expected at most one") }
            }
            if segment.type != 1, segment.type != 0, segment.type != 0x6474_e551 {
                guard segment.filesz <= segment.memsz || segment.type == 3 || segment.type == 4 else {
                    throw ELFError(field, "p_filesz \(hex(segment.filesz)) exceeds p_memsz \(hex(segment.memsz))")
                }
                guard let end = segment.offset.plus(segment.filesz), end <= fileSize else {
                    throw ELFError(field, "p_offset \(hex(segment.offset)) + p_filesz \(hex(segment.filesz)) exceeds the file's \(fileSize) bytes")
                }
            }
            switch segment.type {
            case 2:
                guard segment.filesz >= 16, segment.filesz % 16 == 0 else {
                    throw ELFError(field, "p_filesz \(hex(segment.filesz)), expected a non-zero multiple of 16")
                }
                guard try fileOffset(segment.vaddr, segment.filesz, field) == segment.offset else {
                    throw ELFError(field, "p_vaddr \(hex(segment.vaddr)) does not map to p_offset \(hex(segment.offset))")
                }
                dynamic = segment
            case 3:
                guard segment.filesz > 0, segment.filesz <= 4096 else {
                    throw ELFError(field, "p_filesz \(hex(segment.filesz)), expected 1...4096")
                }
                let path = try read(segment.offset, segment.filesz, field)
                guard path.u8(path.count - 1) == 0 else { throw ELFError(field, "the interpreter path is not NUL-terminated") }
            case 4, 0x6474_e553:
                if segment.filesz > 0 {
                    _ = try fileOffset(segment.vaddr, segment.filesz, field)
                    try checkNotes(try read(segment.offset, segment.filesz, field), field, property: segment.type != 4)
                }
            case 6:
                guard segment.offset == phoff, segment.filesz == UInt64(phnum * 56) else {
                    throw ELFError(field, "p_offset \(hex(segment.offset)) / p_filesz \(hex(segment.filesz)) do not describe the program header table at \(hex(phoff)) of \(phnum * 56) bytes")
                }
                guard try fileOffset(segment.vaddr, segment.filesz, field) == phoff else {
                    throw ELFError(field, "p_vaddr \(hex(segment.vaddr)) does not map to the program header table")
                }
            case 7:
                guard segment.memsz <= ELFLimits.maxTLSSize else {
                    throw ELFError(field, "p_memsz \(hex(segment.memsz)) exceeds the limit of \(hex(ELFLimits.maxTLSSize))")
                }
                guard segment.align <= 1 || (segment.align.isPowerOfTwo && segment.align <= pageSize) else {
                    throw ELFError(field, "p_align \(hex(segment.align)), expected 0, 1 or a power of two up to \(hex(pageSize))")
                }
                if segment.filesz > 0 { _ = try fileOffset(segment.vaddr, segment.filesz, field) }
            case 0x6474_e550:
                _ = try fileOffset(segment.vaddr, segment.memsz, field)
            case 0x6474_e551:
                guard segment.flags & 1 == 0 else { throw ELFError(field, "requests an executable stack (PF_X)") }
            case 0x6474_e552:
                guard let load = self.segment(containing: segment.vaddr, segment.memsz), load.writable else {
                    throw ELFError(field, "p_vaddr \(hex(segment.vaddr)) + p_memsz \(hex(segment.memsz)) is not inside a writable PT_LOAD segment")
                }
            case 5:
                throw ELFError(field, "PT_SHLIB is reserved")
            default:
                break
            }
        }
        guard let dynamic else { throw ELFError("program headers", "no PT_DYNAMIC segment; a plug-in must have a dynamic section") }
        return dynamic
    }
}

extension ELFValidator {
    func checkDynamic(_ segment: ELFSegment, tls: ELFSegment?) throws -> ELFValidated {
        let entries = try read(segment.offset, segment.filesz, "dynamic section")
        var single: [UInt64: UInt64] = [:]
        var neededOffsets: [UInt64] = [], runPathOffsets: [UInt64] = []
        var terminated = false
        for base in stride(from: 0, to: entries.count, by: 16) {
            let tag = entries.u64(base), value = entries.u64(base + 8)
            let field = "dynamic entry \(base / 16) (tag \(hex(tag)))"
            if tag == DT.null {
                terminated = true
                break
            }
            if let reason = DT.refused[tag] { throw ELFError(field, "\(reason) is refused") }
            guard tag <= DT.relrent || (tag >= 0x6000_000D && tag <= 0x7FFF_FFFF) else {
                throw ELFError(field, "unknown dynamic tag \(hex(tag))")
            }
            // glibc files tags in these ranges by index; only the ones listed here are known.
            guard !(0x6fff_fd00...0x6fff_ffff).contains(tag) || DT.knownOS.contains(tag) else {
                throw ELFError(field, "unknown dynamic tag \(hex(tag)) in the GNU range")
            }
            switch tag {
            case DT.needed: neededOffsets.append(value)
            case DT.rpath, DT.runpath: runPathOffsets.append(value)
            case DT.debug: break
            default:
                guard single.updateValue(value, forKey: tag) == nil else {
                    throw ELFError(field, "tag \(hex(tag)) appears twice, expected once")
                }
            }
        }
        guard terminated else { throw ELFError("dynamic section", "no DT_NULL entry within its \(entries.count) bytes") }
        guard neededOffsets.count <= ELFLimits.maxNeeded else {
            throw ELFError("dynamic section", "\(neededOffsets.count) DT_NEEDED entries, above the limit of \(ELFLimits.maxNeeded)")
        }
        if let flags = single[DT.flags], flags & 0x4 != 0 { throw ELFError("DT_FLAGS", "DF_TEXTREL (text relocations) is refused") }
        func pair(_ address: UInt64, _ size: UInt64, _ names: String) throws -> (UInt64, UInt64)? {
            switch (single[address], single[size]) {
            case (nil, nil): return nil
            case let (a?, s?): return (a, s)
            default: throw ELFError(names, "only one of the pair is present")
            }
        }

        // Strings.
        guard let strtab = single[DT.strtab], let strsz = single[DT.strsz] else {
            throw ELFError("DT_STRTAB/DT_STRSZ", "missing, expected a dynamic string table")
        }
        guard strsz > 0 else { throw ELFError("DT_STRSZ", "is 0, expected a non-empty string table") }
        let strings = try readMemory(strtab, strsz, "DT_STRTAB (\(hex(strtab)), DT_STRSZ \(hex(strsz)))")
        guard strings.u8(strings.count - 1) == 0 else { throw ELFError("DT_STRTAB", "the last byte is not NUL") }
        func string(_ offset: UInt64, _ field: String) throws -> String {
            guard offset < strsz, let text = strings.cString(at: offset) else {
                throw ELFError(field, "string offset \(hex(offset)) is not below DT_STRSZ \(hex(strsz))")
            }
            return text
        }
        var result = ELFValidated()
        for (index, offset) in neededOffsets.enumerated() {
            let name = try string(offset, "DT_NEEDED \(index)")
            guard !name.isEmpty else { throw ELFError("DT_NEEDED \(index)", "empty library name") }
            result.needed.append(name)
        }
        result.runPaths = try runPathOffsets.enumerated().map { try string($0.element, "DT_RUNPATH/DT_RPATH \($0.offset)") }
        if let soname = single[DT.soname] { _ = try string(soname, "DT_SONAME") }

        // Symbols: the count comes from the hash tables, which the loader walks.
        guard let symtab = single[DT.symtab] else { throw ELFError("DT_SYMTAB", "missing, expected a dynamic symbol table") }
        guard single[DT.syment] == 24 else {
            throw ELFError("DT_SYMENT", "found \(single[DT.syment].map(hex) ?? "none"), expected 0x18 (24)")
        }
        var symbolCount: UInt64 = 0
        if let hash = single[DT.hash] { symbolCount = max(symbolCount, try sysvHashCount(hash)) }
        if let gnu = single[DT.gnuHash] { symbolCount = max(symbolCount, try gnuHashCount(gnu)) }
        guard single[DT.hash] != nil || single[DT.gnuHash] != nil else {
            throw ELFError("DT_HASH/DT_GNU_HASH", "missing, expected a symbol hash table")
        }
        guard symbolCount > 0, symbolCount <= ELFLimits.maxSymbols else {
            throw ELFError("symbol table", "\(symbolCount) symbols from the hash tables, expected 1...\(ELFLimits.maxSymbols)")
        }
        let table = try readMemory(symtab, symbolCount * 24, "DT_SYMTAB (\(hex(symtab)), \(symbolCount) symbols)")
                var symbols: [ELFSymbol] = []
        symbols.reserveCapacity(Int(symbolCount))
        for index in 0..<Int(symbolCount) {
            let base = index * 24
            let symbol = ELFSymbol(name: table.u32(base), info: table.u8(base + 4), other: table.u8(base + 5),
                                   shndx: table.u16(base + 6), value: table.u64(base + 8), size: table.u64(base + 16))
            let field = "dynamic symbol \(index)"
            if index == 0 {
                guard symbol.name == 0, symbol.info == 0, symbol.shndx == 0, symbol.value == 0 else {
                    throw ELFError(field, "the null symbol is not all zero")
                }
            }
            guard UInt64(symbol.name) < strsz else {
                throw ELFError(field, "st_name \(hex(UInt64(symbol.name))) is not below DT_STRSZ \(hex(strsz))")
            }
            guard (symbol.type <= 6 || symbol.type == 10), (symbol.binding <= 2 || symbol.binding == 10) else {
                throw ELFError(field, "st_info \(hex(UInt64(symbol.info))) has an unknown type or binding")
            }
            if symbol.isDefined && symbol.shndx != 0xFFF1 {
                if symbol.type == 10 {
                    // An indirect function (e.g. a kernel chosen for the CPU): its resolver runs while
                    // the loader relocates, so it must be the library's code.
                    try requireCode(symbol.value, field)
                } else if symbol.type == 6 {
                    guard let tls, let end = symbol.value.plus(symbol.size), end <= tls.memsz else {
                        throw ELFError(field, "TLS symbol at \(hex(symbol.value)) is outside the PT_TLS block")
                    }
                } else if symbol.type == 2 {
                    try requireCode(symbol.value, field)
                } else if symbol.value != 0 || symbol.size != 0 {
                    guard let end = symbol.value.plus(symbol.size),
                        loads.contains(where: { symbol.value >= $0.vaddr && end <= $0.vaddr &+ $0.memsz })
                            || (symbol.size == 0 && loads.contains { symbol.value == $0.vaddr &+ $0.memsz })
                    else {
                        throw ELFError(field, "st_value \(hex(symbol.value)) + st_size \(hex(symbol.size)) is outside the PT_LOAD segments")
                    }
                }
                let visibility = symbol.other & 3
                if index > 0, symbol.binding != 0, visibility == 0 || visibility == 3, symbol.type != 3, symbol.type != 4 {
                    _ = try string(UInt64(symbol.name), field)
                }
            }
            symbols.append(symbol)
        }

        let versionIndexes = try checkVersions(single, symbolCount: symbolCount, strings: strings, strsz: strsz,
                                               needed: result.needed)
        try checkRelocations(single, symbols: symbols, hasTLS: tls != nil)
        _ = versionIndexes
        return result
    }

    func sysvHashCount(_ address: UInt64) throws -> UInt64 {
        let header = try readMemory(address, 8, "DT_HASH header")
        let buckets = UInt64(header.u32(0)), chains = UInt64(header.u32(4))
        guard buckets > 0, chains > 0, chains <= ELFLimits.maxSymbols, buckets <= ELFLimits.maxSymbols else {
            throw ELFError("DT_HASH", "nbucket \(buckets), nchain \(chains), expected 1...\(ELFLimits.maxSymbols) each")
        }
        let table = try readMemory(address, (2 + buckets + chains) * 4, "DT_HASH (nbucket \(buckets), nchain \(chains))")
        let count = Int(buckets + chains)
        for index in 0..<count where UInt64(table.u32(8 + index * 4)) >= chains {
            throw ELFError("DT_HASH", "entry \(index) is \(table.u32(8 + index * 4)), not below nchain \(chains)")
        }
        // Each chain must end: mark nodes as they are walked.
        var state = [UInt8](repeating: 0, count: Int(chains))
        for bucket in 0..<Int(buckets) {
            var node = Int(table.u32(8 + bucket * 4))
            var path: [Int] = []
            while node != 0, state[node] == 0 {
                state[node] = 1
                path.append(node)
                node = Int(table.u32(8 + (Int(buckets) + node) * 4))
            }
            if node != 0, state[node] == 1 { throw ELFError("DT_HASH", "bucket \(bucket) leads into a cycle at symbol \(node)") }
            for visited in path { state[visited] = 2 }
        }
        return chains
    }

    func gnuHashCount(_ address: UInt64) throws -> UInt64 {
        let header = try readMemory(address, 16, "DT_GNU_HASH header")
        let buckets = UInt64(header.u32(0)), bias = UInt64(header.u32(4)), words = UInt64(header.u32(8))
        let shift = header.u32(12)
        guard buckets > 0, buckets <= ELFLimits.maxSymbols, bias >= 1, bias <= ELFLimits.maxSymbols,
            words.isPowerOfTwo, words <= ELFLimits.maxSymbols, shift < 64
        else {
            throw ELFError("DT_GNU_HASH", "nbuckets \(buckets), symoffset \(bias), bloom_size \(words), bloom_shift \(shift): expected non-zero buckets, symoffset >= 1, a power-of-two bloom size and a shift below 64")
        }
        let bucketStart = address &+ 16 &+ words * 8
        let bucketTable = try readMemory(bucketStart, buckets * 4, "DT_GNU_HASH buckets")
        let chainStart = bucketStart &+ buckets * 4
        var highest: UInt64 = 0
        for index in 0..<Int(buckets) {
            let value = UInt64(bucketTable.u32(index * 4))
            guard value == 0 || value >= bias else {
                throw ELFError("DT_GNU_HASH", "bucket \(index) is \(value), below symoffset \(bias)")
            }
            highest = max(highest, value)
        }
        guard highest > 0 else { return bias }
        // Chains starting lower end at or before the highest chain's end, so the symbol count is
        // one past the end of the chain that starts at the highest bucket value; walk it in chunks.
        let available: UInt64 = loads.first { chainStart >= $0.vaddr && chainStart < $0.vaddr &+ $0.filesz }
            .map { $0.vaddr &+ $0.filesz &- chainStart } ?? 0
        var position = (highest - bias) * 4
        while true {
            guard position < available, position / 4 + bias < ELFLimits.maxSymbols else {
                throw ELFError("DT_GNU_HASH", "the chain starting at symbol \(highest) does not end inside the file-backed bytes")
            }
            let chunk = min(available - position, 4096) & ~3
            guard chunk >= 4 else { throw ELFError("DT_GNU_HASH", "the chain starting at symbol \(highest) is truncated") }
            let words = try readMemory(chainStart &+ position, chunk, "DT_GNU_HASH chains")
            for index in 0..<Int(chunk / 4) where words.u32(index * 4) & 1 != 0 {
                return bias + (position / 4) + UInt64(index) + 1
            }
            position += chunk
        }
    }
}

extension ELFValidator {
    /// Walks DT_VERNEED and DT_VERDEF as glibc does and checks DT_VERSYM against the indexes they define.
    func checkVersions(_ single: [UInt64: UInt64], symbolCount: UInt64, strings: ELFBytes, strsz: UInt64,
                       needed: [String]) throws -> Set<UInt16> {
        var defined: Set<UInt16> = [0, 1]
        func name(_ offset: UInt32, _ field: String) throws -> String {
            guard UInt64(offset) < strsz, let text = strings.cString(at: UInt64(offset)) else {
                throw ELFError(field, "name offset \(hex(UInt64(offset))) is not below DT_STRSZ \(hex(strsz))")
            }
            return text
        }
        if let verneed = single[DT.verneed] {
            guard let count = single[DT.verneednum], count > 0, count <= UInt64(ELFLimits.maxNeeded) else {
                throw ELFError("DT_VERNEEDNUM", "found \(single[DT.verneednum].map(hex) ?? "none"), expected 1...\(ELFLimits.maxNeeded)")
            }
            var address = verneed
            for entry in 0..<Int(count) {
                let field = "version need \(entry)"
                let record = try readMemory(address, 16, field)
                guard record.u16(0) == 1 else { throw ELFError(field, "vn_version \(record.u16(0)), expected 1") }
                let file = try name(record.u32(4), field + " vn_file")
                guard needed.contains(file) else { throw ELFError(field, "vn_file \"\(file)\" is not a DT_NEEDED library") }
                var aux = address &+ UInt64(record.u32(8))
                let auxCount = Int(record.u16(2))
                guard auxCount > 0, auxCount <= ELFLimits.maxChain else { throw ELFError(field, "vn_cnt \(auxCount), expected at least 1") }
                for index in 0..<auxCount {
                    let auxField = "\(field) auxiliary \(index)"
                    let item = try readMemory(aux, 16, auxField)
                    _ = try name(item.u32(8), auxField + " vna_name")
                    defined.insert(item.u16(6) & 0x7FFF)
                    aux = try chainStep(from: aux, next: UInt64(item.u32(12)), isLast: index == auxCount - 1, size: 16,
                                        link: "vna_next", last: "the last of vn_cnt entries", auxField)
                }
                address = try chainStep(from: address, next: UInt64(record.u32(12)), isLast: entry == Int(count) - 1, size: 16,
                                        link: "vn_next", last: "DT_VERNEEDNUM entries", field)
            }
        }
        if let verdef = single[DT.verdef] {
            guard let count = single[DT.verdefnum], count > 0, count <= 0x7FFF else {
                throw ELFError("DT_VERDEFNUM", "found \(single[DT.verdefnum].map(hex) ?? "none"), expected 1...32767")
            }
            var address = verdef
            for entry in 0..<Int(count) {
                let field = "version definition \(entry)"
                let record = try readMemory(address, 20, field)
                guard record.u16(0) == 1 else { throw ELFError(field, "vd_version \(record.u16(0)), expected 1") }
                defined.insert(record.u16(4) & 0x7FFF)
                let auxCount = Int(record.u16(6))
                guard auxCount > 0, auxCount <= ELFLimits.maxChain else { throw ELFError(field, "vd_cnt \(auxCount), expected at least 1") }
                var aux = address &+ UInt64(record.u32(12))
                for index in 0..<auxCount {
                    let auxField = "\(field) auxiliary \(index)"
                    let item = try readMemory(aux, 8, auxField)
                    _ = try name(item.u32(0), auxField + " vda_name")
                    aux = try chainStep(from: aux, next: UInt64(item.u32(4)), isLast: index == auxCount - 1, size: 8,
                                        link: "vda_next", last: "the last of vd_cnt entries", auxField)
                }
                address = try chainStep(from: address, next: UInt64(record.u32(16)), isLast: entry == Int(count) - 1, size: 20,
                                        link: "vd_next", last: "DT_VERDEFNUM entries", field)
            }
        }
        if single[DT.versym] == nil, single[DT.verneed] != nil || single[DT.verdef] != nil {
            throw ELFError("DT_VERSYM", "missing, but DT_VERNEED or DT_VERDEF is present")
        }
        if let versym = single[DT.versym] {
            guard single[DT.verneed] != nil || single[DT.verdef] != nil else {
                throw ELFError("DT_VERSYM", "present without DT_VERNEED or DT_VERDEF")
            }
            let table = try readMemory(versym, symbolCount * 2, "DT_VERSYM (\(symbolCount) entries)")
            for index in 0..<Int(symbolCount) where !defined.contains(table.u16(index * 2) & 0x7FFF) {
                throw ELFError("DT_VERSYM entry \(index)", "version index \(table.u16(index * 2) & 0x7FFF) is not defined by DT_VERNEED or DT_VERDEF")
            }
        }
        return defined
    }

    /// Relocation types glibc applies for the machine, with the bytes each writes; nil for refused ones.
    func relocationWidth(_ type: UInt32) -> (width: UInt64, tls: Bool, relative: Bool)? {
        if machine == 62 {
            switch type {
            case 0: return (0, false, false)
            case 1, 6, 7: return (8, false, false)
            case 2: return (4, false, false)
            case 8: return (8, false, true)
            case 16, 17, 18: return (8, true, false)
            case 36: return (16, true, false)
            case 37: return (8, false, false)   // IRELATIVE: its addend, the resolver, is checked to be code
            default: return nil
            }
        }
        switch type {
        case 0: return (0, false, false)
        case 257, 1025, 1026: return (8, false, false)
        case 1027: return (8, false, true)
        case 1028, 1029, 1030: return (8, true, false)
        case 1031: return (16, true, false)
        case 1032: return (8, false, false)   // IRELATIVE
        default: return nil
        }
    }

    func checkRelocations(_ single: [UInt64: UInt64], symbols: [ELFSymbol], hasTLS: Bool) throws {
        var initSlots: [UInt64: [(type: UInt32, symbol: Int, addend: UInt64)]] = [:]
        var arrays: [(UInt64, UInt64, String)] = []
        for (tag, sizeTag, name) in [(DT.initArray, DT.initArraySize, "DT_INIT_ARRAY"), (DT.finiArray, DT.finiArraySize, "DT_FINI_ARRAY")] {
            switch (single[tag], single[sizeTag]) {
            case (nil, nil): continue
            case let (address?, size?):
                guard size % 8 == 0, size <= 1 << 20 else { throw ELFError(name, "size \(hex(size)), expected a multiple of 8 up to 1 MiB") }
                try requireWritable(address, size, name)
                arrays.append((address, size, name))
            default: throw ELFError(name, "only one of the address and its size is present")
            }
        }
        func isSlot(_ offset: UInt64) -> Bool { arrays.contains { offset >= $0.0 && offset < $0.0 &+ $0.1 } }

        var tables: [(UInt64, UInt64, String)] = []
        switch (single[DT.rela], single[DT.relasz]) {
        case (nil, nil): break
        case let (address?, size?):
            guard single[DT.relaent] == 24 else { throw ELFError("DT_RELAENT", "found \(single[DT.relaent].map(hex) ?? "none"), expected 0x18 (24)") }
            tables.append((address, size, "DT_RELA"))
        default: throw ELFError("DT_RELA/DT_RELASZ", "only one of the pair is present")
        }
        switch (single[DT.jmprel], single[DT.pltrelsz]) {
        case (nil, nil): guard single[DT.pltrel] == nil else { throw ELFError("DT_PLTREL", "present without DT_JMPREL") }
        case let (address?, size?):
            guard single[DT.pltrel] == DT.rela else { throw ELFError("DT_PLTREL", "found \(single[DT.pltrel].map(hex) ?? "none"), expected 7 (DT_RELA)") }
            tables.append((address, size, "DT_JMPREL"))
        default: throw ELFError("DT_JMPREL/DT_PLTRELSZ", "only one of the pair is present")
        }
        var relaCount: UInt64 = 0
        for (address, size, name) in tables {
            guard size % 24 == 0 else { throw ELFError(name, "size \(hex(size)) is not a multiple of 24") }
            guard size > 0 else { continue }
            let table = try readMemory(address, size, name)
            let count = Int(size / 24)
            if name == "DT_RELA" { relaCount = UInt64(count) }
            for index in 0..<count {
                let base = index * 24
                let offset = table.u64(base), info = table.u64(base + 8), addend = table.u64(base + 16)
                let type = UInt32(truncatingIfNeeded: info), symbol = info >> 32
                let field = "\(name) entry \(index)"
                guard let kind = relocationWidth(type) else {
                    let refused = (machine == 62 && type == 5) || (machine == 183 && type == 1024) ? "COPY relocations are not allowed in a shared object"
                        : "unknown relocation type \(type) for e_machine \(machine)"
                    throw ELFError(field, refused)
                }
                if name == "DT_JMPREL" {
                    let slot: Set<UInt32> = machine == 62 ? [7, 36, 37] : [1026, 1031, 1032]
                    guard slot.contains(type) else {
                        throw ELFError(field, "relocation type \(type) in the PLT relocations, expected JUMP_SLOT, TLSDESC or IRELATIVE")
                    }
                }
                guard symbol < UInt64(symbols.count) else {
                    throw ELFError(field, "symbol index \(symbol) is not below the \(symbols.count) dynamic symbols")
                }
                if kind.width == 0 { continue }
                try requireWritable(offset, kind.width, field)
                if (machine == 62 && type == 37) || (machine == 183 && type == 1032) { try requireCode(addend, field) }
                let target = symbols[Int(symbol)]
                if kind.tls {
                    if symbol == 0 || target.isDefined {
                        guard hasTLS else { throw ELFError(field, "TLS relocation against this library, which has no PT_TLS segment") }
                        guard symbol == 0 || target.type == 6 else { throw ELFError(field, "TLS relocation against non-TLS symbol \(symbol)") }
                    }
                } else if !kind.relative, symbol != 0, target.type == 6 {
                    throw ELFError(field, "non-TLS relocation against TLS symbol \(symbol)")
                }
                if isSlot(offset) { initSlots[offset, default: []].append((type, Int(symbol), addend)) }
            }
        }
        if let count = single[DT.relacount] {
            guard count <= relaCount else { throw ELFError("DT_RELACOUNT", "\(count) exceeds the \(relaCount) DT_RELA entries") }
            if count > 0, let address = single[DT.rela] {
                let table = try readMemory(address, count * 24, "DT_RELACOUNT")
                for index in 0..<Int(count) where relocationWidth(UInt32(truncatingIfNeeded: table.u64(index * 24 + 8)))?.relative != true {
                    throw ELFError("DT_RELA entry \(index)", "is not a RELATIVE relocation, but DT_RELACOUNT \(count) says it is")
                }
            }
        }
        var relrSlots: Set<UInt64> = []
        switch (single[DT.relr], single[DT.relrsz]) {
        case (nil, nil): break
        case let (address?, size?):
            guard single[DT.relrent] == 8 else { throw ELFError("DT_RELRENT", "found \(single[DT.relrent].map(hex) ?? "none"), expected 8") }
            guard size % 8 == 0 else { throw ELFError("DT_RELRSZ", "size \(hex(size)) is not a multiple of 8") }
            let table = try readMemory(address, size, "DT_RELR")
            var next: UInt64?
            for index in 0..<Int(size / 8) {
                let entry = table.u64(index * 8)
                let field = "DT_RELR entry \(index)"
                if entry & 1 == 0 {
                    try requireWritable(entry, 8, field)
                    if isSlot(entry) { relrSlots.insert(entry) }
                    next = entry &+ 8
                } else {
                    guard let base = next else { throw ELFError(field, "a bitmap before any address entry") }
                    for bit in 1..<64 where (entry >> UInt64(bit)) & 1 != 0 {
                        let where_ = base &+ UInt64(bit - 1) * 8
                        try requireWritable(where_, 8, field)
                        if isSlot(where_) { relrSlots.insert(where_) }
                    }
                    guard let moved = base.plus(63 * 8) else { throw ELFError(field, "address overflows") }
                    next = moved
                }
            }
        default: throw ELFError("DT_RELR/DT_RELRSZ", "only one of the pair is present")
        }

        // Functions the loader calls.
        if let address = single[DT.initTag] { try requireCode(address, "DT_INIT") }
        if let address = single[DT.fini] { try requireCode(address, "DT_FINI") }
        for (address, size, name) in arrays {
            for slot in stride(from: address, to: address &+ size, by: 8) {
                let field = "\(name) slot \(hex(slot))"
                var covered = false
                if relrSlots.contains(slot) {
                    try requireCode(try readMemory(slot, 8, field).u64(0), field)
                    covered = true
                }
                for relocation in initSlots[slot] ?? [] {
                    let kind = relocationWidth(relocation.type)
                    if kind?.relative == true {
                        try requireCode(relocation.addend, field)
                    } else {
                        let symbol = symbols[relocation.symbol]
                        guard symbol.isDefined, symbol.type == 2 else {
                            throw ELFError(field, "relocated against symbol \(relocation.symbol), which is not a function defined here")
                        }
                        let usesAddend = relocation.type == 1 || relocation.type == 257
                        try requireCode(symbol.value &+ (usesAddend ? relocation.addend : 0), field)
                    }
                    covered = true
                }
                guard covered else { throw ELFError(field, "no relocation sets this function pointer") }
            }
        }
    }
}
