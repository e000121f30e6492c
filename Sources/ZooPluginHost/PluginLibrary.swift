import CZooPlugin
import Foundation

/// The device and inode of a file: what identifies a loaded library, whatever path named it.
public struct FileIdentity: Sendable, Hashable {
    public let device: UInt64
    public let inode: UInt64
}

/// A loaded, verified plug-in library: its `zoo_plugin_info` and validated module descriptors.
///
/// Loading opens the file once, checks it is a regular file in a folder that not everyone can
/// write, hashes that descriptor (and compares with a pinned SHA-256), reads its ELF dynamic
/// section from the same descriptor to tell a Swift library from a C one, and maps that very file
/// with `dlopen("/proc/self/fd/N", RTLD_NOW | RTLD_LOCAL)` (plus `RTLD_NODELETE` for Swift
/// libraries). Then it calls the entry point with `HostServices.api` and validates what it returns.
///
/// One object per file and process: loading a file that is already loaded returns the same
/// object. A C library is unloaded (`dlclose`) when its object goes away; everything created from
/// it (`LoadedModule`, module instances) must keep the object alive. A Swift library is never
/// unloaded.
public final class PluginLibrary: @unchecked Sendable {
    /// The path the library was loaded from (absolute, standardised).
    public let path: String
    /// Plug-in name and version from `zoo_plugin_info`.
    public let name: String
    public let version: String
    /// The ABI version the plug-in was built for.
    public let abiMajor: Int
    public let abiMinor: Int
    /// The modules it offers, in its order.
    public let modules: [ModuleDescriptor]
    /// Built from Swift (loaded with RTLD_NODELETE, never unloaded).
    public let isSwift: Bool
    /// SHA-256 of the file as it was mapped, lowercase hexadecimal.
    public let sha256: String
    public let fileIdentity: FileIdentity
    /// What the entry point returned; valid while this object lives.
    public let info: UnsafePointer<zoo_plugin_info>

    private let handle: UnsafeMutableRawPointer
    /// The descriptor whose /proc/self/fd name the library was mapped under. It stays open while
    /// the library is mapped, so that no other file can later be opened under the same name (the
    /// dynamic loader finds already-loaded libraries by name first).
    private let descriptor: Int32

    private init(
        path: String, name: String, version: String, abiMajor: Int, abiMinor: Int, modules: [ModuleDescriptor],
        isSwift: Bool, sha256: String, fileIdentity: FileIdentity, info: UnsafePointer<zoo_plugin_info>,
        handle: UnsafeMutableRawPointer, descriptor: Int32
    ) {
        self.path = path
        self.name = name
        self.version = version
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.modules = modules
        self.isSwift = isSwift
        self.sha256 = sha256
        self.fileIdentity = fileIdentity
        self.info = info
        self.handle = handle
        self.descriptor = descriptor
    }

    deinit {
        PluginLibrary.lock.lock()
        defer { PluginLibrary.lock.unlock() }
        PluginLibrary.loaded = PluginLibrary.loaded.filter { $0.value.library != nil }
        guard !isSwift else { return }
        dlclose(handle)
        close(descriptor)
    }

    /// The module named `name`, if this library offers it.
    public func module(named name: String) -> ModuleDescriptor? { modules.first { $0.name == name } }

    /// Looks up another symbol of the library (`dlsym`); valid while this object lives.
    public func symbol(named name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }

    // MARK: loading

    private struct WeakLibrary {
        weak var library: PluginLibrary?
    }
    /// Guards `loaded` and every dlopen/dlclose of this type. Recursive: a library whose last
    /// reference goes away while the lock is held deinitialises under it.
    private static let lock = NSRecursiveLock()
    nonisolated(unsafe) private static var loaded: [FileIdentity: WeakLibrary] = [:]

    /// Loads the library at `file` (see the type's documentation for the steps).
    ///
    /// - Parameters:
    ///   - sha256: a pinned SHA-256 in hexadecimal (64 digits, either case, optionally prefixed
    ///     `sha256:`); the file loads only if its hash is that.
    ///   - allowWorldWritable: load even if the file or its folder is writable by every user.
    ///   - ignoringMetadata: load even if the library differs from its metadata file (`NAME.zoo.json`),
    ///     as `zoo plugin seal` does to write a new one; otherwise such a library is refused.
    public static func load(file: URL, sha256 pinned: String? = nil, allowWorldWritable: Bool = false,
                            ignoringMetadata: Bool = false) throws(PluginError) -> PluginLibrary {
        let path = file.standardizedFileURL.path
        lock.lock()
        defer { lock.unlock() }

        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = errno
            if reason == ENOENT || reason == ENOTDIR {
                throw PluginError(.fileNotFound, "plug-in file \(path) not found", path: path, step: .open)
            }
            throw PluginError(.cannotOpen, "cannot open plug-in \(path): \(String(cString: strerror(reason)))", path: path, step: .open)
        }
        // Closed on every failure before dlopen; what happens to it after is decided below.
        var keepDescriptor = false
        defer { if !keepDescriptor { close(descriptor) } }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw PluginError(.cannotOpen, "cannot read plug-in \(path): \(String(cString: strerror(errno)))", path: path, step: .open)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw PluginError(.notRegularFile, "plug-in \(path) is not a regular file (it is \(fileTypeName(status.st_mode)))",
                              path: path, step: .open)
        }
        if !allowWorldWritable { try checkPermissions(path: path, status: status) }

        let identity = FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
        let expected = try pinned.map { text throws(PluginError) in try normalisedPin(text, path: path) }
        if let existing = loaded[identity]?.library {
            if let expected, expected != existing.sha256 {
                throw hashMismatch(path: path, actual: existing.sha256, expected: expected)
            }
            return existing
        }

        let digest: String
        do {
            digest = SHA256.hex(try SHA256.hash(fileDescriptor: descriptor))
        } catch {
            throw PluginError(.cannotOpen, "cannot read plug-in \(path): \(error)", path: path, step: .integrity)
        }
        if let expected, expected != digest { throw hashMismatch(path: path, actual: digest, expected: expected) }
        // A library with a metadata file must be the one it describes, before any of its code runs.
        let recorded = ignoringMetadata ? nil : try PluginDescription.recorded(of: URL(fileURLWithPath: path))
        if let recorded, recorded.sha256 != digest {
            throw PluginDescription.staleMetadata(path: path, metadata: PluginDescription.metadataFile(of: URL(fileURLWithPath: path)).path,
                                                  digest: digest, recorded: recorded.sha256)
        }

        // Judged before any of its code runs: a file the loader could trip over is refused here.
        let elf: ELFInfo
        do {
            elf = try ELFInspector.validate(fileDescriptor: descriptor)
        } catch {
            throw PluginError(.notSharedLibrary, "plug-in \(path) is not a loadable shared library: \(error)", path: path, step: .inspect)
        }
        let isSwift = elf.isSwift
        let flags = RTLD_NOW | RTLD_LOCAL | (isSwift ? RTLD_NODELETE : 0)
        let (opened, mappedDescriptor, failure) = mapThroughDescriptor(descriptor, flags: flags)
        guard let handle = opened else {
            var reason = (failure ?? "unknown error").replacingOccurrences(of: "/proc/self/fd/\(mappedDescriptor)", with: path)
            if reason.hasPrefix(path + ": ") { reason.removeFirst(path.count + 2) }
            if elf.usesOrigin && reason.contains("cannot open shared object file") {
                reason += "; note: the library's run path uses $ORIGIN, which does not name its folder when it is loaded through its verified descriptor"
            }
            throw PluginError(.notSharedLibrary, "plug-in \(path) is not a loadable shared library (dlopen: \(reason))",
                              path: path, step: .dlopen)
        }
        if mappedDescriptor != descriptor { close(descriptor) }
        keepDescriptor = true
        // From here on a failure unmaps a C library and closes its descriptor; a Swift library stays
        // mapped (RTLD_NODELETE), so its descriptor stays open too.
        func unload() {
            guard !isSwift else { return }
            dlclose(handle)
            close(mappedDescriptor)
        }

        do throws(PluginError) {
            let (info, modules) = try handshake(handle: handle, path: path)
            let library = PluginLibrary(
                path: path, name: String(cString: info.pointee.name!), version: String(cString: info.pointee.version!),
                abiMajor: Int(info.pointee.abi_major), abiMinor: Int(info.pointee.abi_minor), modules: modules,
                isSwift: isSwift, sha256: digest, fileIdentity: identity, info: info, handle: handle,
                descriptor: mappedDescriptor)
            if let recorded, let why = recorded.mismatch(with: PluginDescription(library)) {
                throw PluginError(.invalidDescriptor, "plug-in \(path) does not match its metadata file "
                                  + "\(PluginDescription.metadataFile(of: URL(fileURLWithPath: path)).path): \(why)", path: path, step: .handshake)
            }
            loaded[identity] = WeakLibrary(library: library)
            return library
        } catch {
            unload()
            throw error
        }
    }

    private static func fileTypeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a pipe"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// Refuses a world-writable file, or a file in a world-writable folder (the folder of the path
    /// as given and, if it differs, the folder of the resolved path).
    private static func checkPermissions(path: String, status: stat) throws(PluginError) {
        let advice = "remove the write permission for others, or allow world-writable plug-in folders explicitly"
        if status.st_mode & S_IWOTH != 0 {
            throw PluginError(.worldWritable,
                              "refusing plug-in \(path): the file is writable by every user, so anyone could change it (\(advice))",
                              path: path, step: .permissions)
        }
        var folders = [(path as NSString).deletingLastPathComponent]
        if let resolved = realpath(path, nil) {
            let real = (String(cString: resolved) as NSString).deletingLastPathComponent
            free(resolved)
            if !folders.contains(real) { folders.append(real) }
        }
        for folder in folders {
            var folderStatus = stat()
            if stat(folder, &folderStatus) == 0 && folderStatus.st_mode & S_IWOTH != 0 {
                throw PluginError(.worldWritable,
                                  "refusing plug-in \(path): its folder \(folder) is writable by every user, so anyone could replace the library (\(advice))",
                                  path: path, step: .permissions)
            }
        }
    }

    private static func normalisedPin(_ text: String, path: String) throws(PluginError) -> String {
        var pin = text.trimmingCharacters(in: .whitespaces).lowercased()
        if pin.hasPrefix("sha256:") { pin.removeFirst(7) }
        guard pin.utf8.count == 64, pin.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw PluginError(.invalidPin, "invalid pinned SHA-256 \"\(text)\" for plug-in \(path): expected 64 hexadecimal digits",
                              path: path, step: .integrity)
        }
        return pin
    }

    private static func hashMismatch(path: String, actual: String, expected: String) -> PluginError {
        PluginError(.hashMismatch,
                    "refusing plug-in \(path): its SHA-256 is \(actual) but \(expected) is pinned (the file changed since it was pinned; check it and update the pin)",
                    path: path, step: .integrity)
    }

    /// `dlopen("/proc/self/fd/N")`. If that name already belongs to a loaded library (its
    /// descriptor was closed and the number reused), the dynamic loader would return that library
    /// instead, so the descriptor is first duplicated to a number whose name is free.
    /// Returns the handle (or nil and dlerror's text) and the descriptor whose name was used.
    private static func mapThroughDescriptor(_ descriptor: Int32, flags: Int32) -> (UnsafeMutableRawPointer?, Int32, String?) {
        var candidate = descriptor
        var spares: [Int32] = []
        defer { for spare in spares where spare != candidate { close(spare) } }
        for _ in 0..<8 {
            guard let taken = dlopen("/proc/self/fd/\(candidate)", RTLD_LAZY | RTLD_NOLOAD) else { break }
            dlclose(taken)
            let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
            guard duplicate >= 0 else { break }
            spares.append(duplicate)
            candidate = duplicate
        }
        _ = dlerror()
        let handle = dlopen("/proc/self/fd/\(candidate)", flags)
        let failure = handle == nil ? dlerror().map { String(cString: $0) } : nil
        if handle == nil, candidate != descriptor {
            // Report under the original descriptor; the spare is closed by the defer.
            let reworded = failure?.replacingOccurrences(of: "/proc/self/fd/\(candidate)", with: "/proc/self/fd/\(descriptor)")
            candidate = descriptor
            return (nil, descriptor, reworded)
        }
        return (handle, candidate, failure)
    }

    // MARK: handshake

    private static let hostVersion = "\(ZOO_ABI_MAJOR).\(ZOO_ABI_MINOR)"

    /// Calls the entry point and validates `zoo_plugin_info` and every descriptor.
    private static func handshake(handle: UnsafeMutableRawPointer, path: String) throws(PluginError)
        -> (UnsafePointer<zoo_plugin_info>, [ModuleDescriptor])
    {
        guard let symbol = dlsym(handle, ZOO_PLUGIN_ENTRY_SYMBOL) else {
            for major in [0, 2, 3, 4, 5, 6, 7, 8, 9] where dlsym(handle, "zoo_plugin_entry_v\(major)") != nil {
                throw PluginError(.versionMismatch,
                                  "plug-in \(path) exports zoo_plugin_entry_v\(major), the entry point of plug-in ABI \(major); this host speaks \(hostVersion) and looks for \(ZOO_PLUGIN_ENTRY_SYMBOL) (rebuild the plug-in against this host's zoo_plugin.h)",
                                  path: path, step: .entrySymbol)
            }
            throw PluginError(.missingEntrySymbol,
                              "plug-in \(path) has no entry symbol \(ZOO_PLUGIN_ENTRY_SYMBOL): it is not a Zoo plug-in (a plug-in exports const zoo_plugin_info *\(ZOO_PLUGIN_ENTRY_SYMBOL)(const zoo_host_api *, zoo_error *))",
                              path: path, step: .entrySymbol)
        }
        let entry = unsafeBitCast(symbol, to: zoo_plugin_entry_fn.self)
        let (returned, reported) = PluginCallError.withErrorSlot(returning: { error in entry(HostServices.api, error) })
        guard let info = returned else {
            let reason = reported.map { "\($0.message) (\(PluginCallError.statusName($0.status)))" }
                ?? "its entry point returned NULL without a message"
            throw PluginError(.entryFailed, "plug-in \(path) failed to initialise: \(reason)", path: path, step: .handshake)
        }
        let header = info.pointee
        func invalid(_ problem: String) -> PluginError {
            PluginError(.invalidDescriptor, "plug-in \(path): invalid zoo_plugin_info: \(problem)", path: path, step: .validation)
        }
        guard header.struct_size >= 8 else {
            throw invalid("struct_size is \(header.struct_size), too small to hold the version fields")
        }
        guard Int32(header.abi_major) == ZOO_ABI_MAJOR else {
            throw PluginError(.versionMismatch,
                              "plug-in \(path) was built for plug-in ABI \(header.abi_major).\(header.abi_minor); this host speaks \(hostVersion) (a different major version cannot load: rebuild the plug-in against this host's zoo_plugin.h)",
                              path: path, step: .handshake)
        }
        guard Int32(header.abi_minor) <= ZOO_ABI_MINOR else {
            throw PluginError(.versionMismatch,
                              "plug-in \(path) requires plug-in ABI \(header.abi_major).\(header.abi_minor); this host speaks \(hostVersion) (update Zoo, or rebuild the plug-in against ABI \(hostVersion))",
                              path: path, step: .handshake)
        }
        guard Int(header.struct_size) >= ModuleDescriptor.infoSize10 else {
            throw invalid("struct_size is \(header.struct_size); the 1.0 fields need at least \(ModuleDescriptor.infoSize10) bytes")
        }
        guard let namePointer = header.name else { throw invalid("name is NULL") }
        let name = String(cString: namePointer)
        guard ModuleDescriptor.isValidName(name) else {
            throw invalid("name \"\(name)\" is not valid: use lowercase letters, digits, '-' and '_', beginning with a letter or digit")
        }
        guard header.version != nil else { throw invalid("version is NULL") }
        guard header.module_count >= 1 else {
            throw invalid("module_count is \(header.module_count); a plug-in offers at least one module")
        }
        guard let list = header.modules else { throw invalid("modules is NULL but module_count is \(header.module_count)") }

        var modules: [ModuleDescriptor] = []
        for index in 0..<Int(header.module_count) {
            guard let raw = list[index] else { throw invalid("modules[\(index)] is NULL") }
            let module: ModuleDescriptor
            do {
                module = try ModuleDescriptor.read(raw)
            } catch {
                var label = "modules[\(index)]"
                if Int(raw.pointee.struct_size) >= ModuleDescriptor.size10, let name = raw.pointee.name {
                    label = "module \"\(String(cString: name))\" (\(label))"
                }
                throw PluginError(.invalidDescriptor, "plug-in \(path): invalid descriptor of \(label): \(error.message)",
                                  path: path, step: .validation)
            }
            if let first = modules.firstIndex(where: { $0.name == module.name }) {
                throw PluginError(.duplicateModule,
                                  "plug-in \(path) offers module \"\(module.name)\" twice (modules[\(first)] and modules[\(index)])",
                                  path: path, step: .validation)
            }
            modules.append(module)
        }
        return (info, modules)
    }
}
