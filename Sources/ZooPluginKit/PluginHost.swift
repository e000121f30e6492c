import CZooPlugin

/// Log levels of `PluginHost.log`.
public enum LogLevel: Int32, Sendable {
    case debug = 0, info, warning, error
}

/// The host's services as a module sees them: its thread count, the run's seed, its log and its
/// worker threads. Valid for the life of the module.
public struct PluginHost: @unchecked Sendable {
    /// The host's table, valid from the entry call until the library is unloaded (nil: no host).
    let api: UnsafePointer<zoo_host_api>?

    init(_ api: UnsafePointer<zoo_host_api>?) {
        self.api = api
    }

    /// A host that offers nothing: one thread, seed 0, logging dropped (for tests and tools).
    public static let none = PluginHost(nil)

    /// Whether the host's table is large enough to hold `field` (ZOO_HAS_FIELD).
    private func has<Field>(_ field: KeyPath<zoo_host_api, Field>) -> Bool {
        guard let api, let offset = MemoryLayout<zoo_host_api>.offset(of: field) else { return false }
        return Int(api.pointee.struct_size) >= offset + MemoryLayout<Field>.size
    }

    /// The ABI version the host speaks.
    public var abiVersion: (major: Int, minor: Int) {
        guard let api else { return (Int(ZOO_ABI_MAJOR), Int(ZOO_ABI_MINOR)) }
        return (Int(api.pointee.abi_major), Int(api.pointee.abi_minor))
    }

    /// The threads the host computes with (at least 1).
    public var threadCount: Int {
        guard let api, has(\zoo_host_api.thread_count) else { return 1 }
        return Swift.max(1, Int(api.pointee.thread_count))
    }

    /// The run's seed, for modules that draw random numbers (initialisation, dropout).
    public var seed: UInt64 {
        guard let api, has(\zoo_host_api.seed) else { return 0 }
        return api.pointee.seed
    }

    /// The next seed of the host's run generator (`host->next_seed`, ABI 1.2), or nil from an
    /// older host. The kit draws one before each training forward of a module with dropout.
    public func nextSeed() -> UInt64? {
        guard let api, has(\zoo_host_api.next_seed), let next = api.pointee.next_seed else { return nil }
        return next(api.pointee.context)
    }

    /// Writes a line to the host's log.
    public func log(_ level: LogLevel, _ message: String) {
        guard let api, has(\zoo_host_api.log), let log = api.pointee.log else { return }
        message.withCString { log(api.pointee.context, level.rawValue, $0) }
    }

    /// Calls `body` on disjoint ranges covering `0..<count` on the host's worker threads and
    /// returns when all are done (in this thread when the host lends none). `body` runs
    /// concurrently: it must only touch what its range owns.
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        guard let api, has(\zoo_host_api.parallel_for), let run = api.pointee.parallel_for else {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var box = ParallelBody(body: escapable)
            withUnsafeMutablePointer(to: &box) { pointer in
                run(api.pointee.context, Int64(count), { context, begin, end in
                    guard let context, begin < end else { return }
                    context.assumingMemoryBound(to: ParallelBody.self).pointee.body(Int(begin)..<Int(end))
                }, pointer)
            }
        }
    }

    /// Memory from the host's allocator (64-byte aligned), released with `release(_:)`.
    public func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        guard let api, has(\zoo_host_api.allocate), let allocate = api.pointee.allocate, bytes >= 0 else { return nil }
        return allocate(api.pointee.context, bytes)
    }

    /// Returns memory from `allocate(bytes:)`.
    public func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let api, has(\zoo_host_api.release), let release = api.pointee.release, let pointer else { return }
        release(api.pointee.context, pointer)
    }

    /// Reports a failure into a host-owned `zoo_error` and returns its status.
    @discardableResult
    func report(_ error: PluginError, into target: OpaquePointer?) -> zoo_status {
        if let api, has(\zoo_host_api.set_error), let setError = api.pointee.set_error, let target {
            error.message.withCString { setError(target, error.code.rawValue, $0) }
        }
        return error.code.rawValue
    }
}

/// The closure `parallelFor` hands through the C `void *` context.
private struct ParallelBody {
    let body: (Range<Int>) -> Void
}
