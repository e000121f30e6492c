import CZooPlugin
import Foundation
import ZooTensor

/// Levels of messages plug-ins log through `host->log`.
public enum PluginLogLevel: Int32, Sendable, Comparable, CustomStringConvertible {
    case debug = 0, info = 1, warning = 2, error = 3

    /// Levels outside the header's range are clamped (below debug → debug, above error → error).
    public init(clamping raw: Int32) {
        self = PluginLogLevel(rawValue: min(max(raw, 0), 3))!
    }

    public static func < (lhs: PluginLogLevel, rhs: PluginLogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }
}

/// The one `zoo_host_api` of the process: what every plug-in receives at its entry point.
///
/// The table lives in static storage that is never freed, so plug-ins may keep its pointer for as
/// long as they are loaded. Its functions:
/// - `allocate`/`release`: 64-byte aligned memory (`posix_memalign`/`free`); `allocate(0)` returns a
///   valid unique pointer, a failed allocation NULL.
/// - `log`: forwards to `HostServices.logHandler` (by default one line on standard error, from `info` up).
/// - `set_error`: writes status and message into the host-owned `zoo_error` of the call (see
///   `PluginCallError.withErrorSlot`).
/// - `thread_count`: `Threading.threadCount`; `parallel_for`: `Threading.parallelFor` with a grain
///   of 1, so the ranges are at most `thread_count` contiguous chunks (run inline when called from
///   inside a parallel region).
/// - `seed`: `HostServices.seed` in this process-wide table (the one entry points get); a pipeline
///   creates its modules with a `HostSession` table of its own instead, with the manifest's seed.
/// - `next_seed`: the next number of the run generator, which setting `seed` restarts and whose
///   state checkpoints keep (`HostServices.generatorState`).
public enum HostServices {
    public typealias LogHandler = @Sendable (_ level: PluginLogLevel, _ message: String) -> Void

    /// The table to pass to entry points and `create`.
    public static var api: UnsafePointer<zoo_host_api> { UnsafePointer(table) }

    /// The run's seed that plug-ins read from `host->seed`. Set it before loading plug-ins (plug-ins
    /// read the field whenever they like; a change later is seen by later reads).
    public static var seed: UInt64 {
        get { state.withLock { _ in table.pointee.seed } }
        set {
            state.withLock { _ in table.pointee.seed = newValue }
            generator.withLock { $0 = RandomGenerator(seed: newValue ^ generatorTweak) }
        }
    }

    /// The next seed of the run generator (what `host->next_seed` returns).
    public static func nextSeed() -> UInt64 {
        generator.withLock { $0.next() }
    }

    /// The run generator's state (four words), to keep in a checkpoint and restore on resume;
    /// setting a state that `RandomGenerator(stateWords:)` refuses changes nothing and returns false.
    public static var generatorState: [UInt64] { generator.withLock { $0.stateWords } }

    @discardableResult
    public static func restoreGenerator(_ words: [UInt64]) -> Bool {
        guard let restored = RandomGenerator(stateWords: words) else { return false }
        generator.withLock { $0 = restored }
        return true
    }

    /// Set apart from `seed` itself, which plug-ins draw their initial weights from.
    static let generatorTweak: UInt64 = 0x6A09_E667_F3BC_C908
    private static let generator = LockedValue(RandomGenerator(seed: generatorTweak))

    /// `host->thread_count`.
    public static var threadCount: Int { Int(table.pointee.thread_count) }

    /// Where `host->log` messages go. Setting nil restores the default (standard error).
    public static var logHandler: LogHandler? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// Sends a message through the current handler, as `host->log` does.
    public static func log(_ level: PluginLogLevel, _ message: String) {
        if let handler = state.withLock({ $0 }) {
            handler(level, message)
        } else {
            defaultLog(level, message)
        }
    }

    /// The default handler writes `info` and above to standard error (`ZOO_LOG_LEVEL=debug` adds debug).
    static func defaultLog(_ level: PluginLogLevel, _ message: String) {
        guard level >= defaultLevel else { return }
        let line = "zoo plug-in \(level): \(message)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static let state = LockedValue<LogHandler?>(nil)

    private static let defaultLevel: PluginLogLevel =
        ProcessInfo.processInfo.environment["ZOO_LOG_LEVEL"]?.lowercased() == "debug" ? .debug : .info

    nonisolated(unsafe) private static let table: UnsafeMutablePointer<zoo_host_api> = {
        let table = UnsafeMutablePointer<zoo_host_api>.allocate(capacity: 1)
        table.initialize(
            to: zoo_host_api(
                struct_size: UInt32(MemoryLayout<zoo_host_api>.size),
                abi_major: UInt16(ZOO_ABI_MAJOR), abi_minor: UInt16(ZOO_ABI_MINOR),
                context: nil,
                allocate: hostAllocate, release: hostRelease, log: hostLog, set_error: hostSetError,
                thread_count: Int32(clamping: Threading.threadCount), reserved: 0,
                parallel_for: hostParallelFor,
                seed: 0,
                next_seed: hostNextSeed))
        return table
    }()
}

/// The alignment of `host->allocate`.
public let hostAllocationAlignment = 64

private let hostAllocate: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { _, bytes in
    var pointer: UnsafeMutableRawPointer?
    guard posix_memalign(&pointer, hostAllocationAlignment, max(bytes, 1)) == 0 else { return nil }
    return pointer
}

private let hostNextSeed: @convention(c) (UnsafeMutableRawPointer?) -> UInt64 = { context in
    HostSession.from(context: context)?.nextSeed() ?? HostServices.nextSeed()
}

private let hostRelease: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, pointer in
    free(pointer)
}

private let hostLog: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?) -> Void = { _, level, message in
    HostServices.log(PluginLogLevel(clamping: level), message.map { String(cString: $0) } ?? "")
}

private let hostSetError: @convention(c) (OpaquePointer?, zoo_status, UnsafePointer<CChar>?) -> Void = { error, status, message in
    guard let error else { return }
    let slot = Unmanaged<PluginErrorSlot>.fromOpaque(UnsafeRawPointer(error)).takeUnretainedValue()
    slot.record(status: status, message: message.map { String(cString: $0) } ?? "")
}

private let hostParallelFor: @convention(c) (
    UnsafeMutableRawPointer?, Int64, (@convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Void)?,
    UnsafeMutableRawPointer?
) -> Void = { _, count, body, bodyContext in
    guard let body, count > 0 else { return }
    Threading.parallelFor(Int(count), grain: 1) { range in
        body(bodyContext, Int64(range.lowerBound), Int64(range.upperBound))
    }
}

/// What `struct zoo_error` is on the host side: the status and message of one call. C sees it only
/// as an opaque pointer, which is this object's unretained address.
final class PluginErrorSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var reported: (status: zoo_status, message: String)?

    func record(status: zoo_status, message: String) {
        lock.lock()
        reported = (status, message)
        lock.unlock()
    }

    var report: (status: zoo_status, message: String)? {
        lock.lock()
        defer { lock.unlock() }
        return reported
    }
}

/// A status and message a plug-in function reported through `host->set_error`.
public struct PluginCallError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: zoo_status
    public var message: String

    public init(status: zoo_status, message: String) {
        self.status = status
        self.message = message
    }

    /// `status: message`, e.g. `invalid configuration: factor must not be 0`.
    public var description: String { "\(PluginCallError.statusName(status)): \(message)" }

    /// The header's name for a status, in words.
    public static func statusName(_ status: zoo_status) -> String {
        switch status {
        case ZOO_OK: "ok"
        case ZOO_ERROR_INVALID_ARGUMENT: "invalid argument"
        case ZOO_ERROR_INVALID_CONFIG: "invalid configuration"
        case ZOO_ERROR_SHAPE: "shape error"
        case ZOO_ERROR_UNSUPPORTED: "unsupported"
        case ZOO_ERROR_OUT_OF_MEMORY: "out of memory"
        case ZOO_ERROR_INTERNAL: "internal error"
        default: "status \(status)"
        }
    }

    /// Calls `body` with a fresh `zoo_error *` and returns the status `body` returned and the
    /// message the plug-in wrote with `set_error` (nil when it wrote none).
    ///
    ///     let (status, message) = PluginCallError.withErrorSlot { error in
    ///         functions.pointee.forward!(module, ZOO_MODE_TRAIN, 1, inputs, 1, outputs, &state, error)
    ///     }
    @discardableResult
    public static func withErrorSlot(_ body: (OpaquePointer) throws -> zoo_status) rethrows -> (status: zoo_status, message: String?) {
        let slot = PluginErrorSlot()
        let status = try withExtendedLifetime(slot) {
            try body(OpaquePointer(Unmanaged.passUnretained(slot).toOpaque()))
        }
        return (status, slot.report?.message)
    }

    /// For functions that do not return a status (the entry point returns a pointer): the result,
    /// and what the plug-in reported with `set_error`, if anything.
    public static func withErrorSlot<Result>(
        returning body: (OpaquePointer) throws -> Result
    ) rethrows -> (result: Result, reported: PluginCallError?) {
        let slot = PluginErrorSlot()
        let result = try withExtendedLifetime(slot) {
            try body(OpaquePointer(Unmanaged.passUnretained(slot).toOpaque()))
        }
        return (result, slot.report.map { PluginCallError(status: $0.status, message: $0.message) })
    }

    /// Calls `body` with an error slot and throws a `PluginCallError` when it returns anything but
    /// `ZOO_OK`. `context` (e.g. `module "double": forward`) is put in front of the message.
    public static func check(_ context: String? = nil, _ body: (OpaquePointer) throws -> zoo_status) throws {
        let (status, message) = try withErrorSlot(body)
        guard status != ZOO_OK else { return }
        let text = message ?? "the plug-in returned status \(status) (\(statusName(status))) without a message"
        throw PluginCallError(status: status, message: context.map { "\($0): \(text)" } ?? text)
    }
}

/// A value behind a lock.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
