import CZooPlugin
import ZooTensor

/// One run's host services: a `zoo_host_api` table of its own that carries the run's seed, and
/// the run generator its `next_seed` draws from. A pipeline creates its modules with its session's
/// table, so two pipelines in one process never share a seed or a generator, and nothing global
/// is set before building one.
///
/// The table is valid while the session lives; every `ModuleInstance` created with it keeps the
/// session alive until the module is destroyed.
public final class HostSession: @unchecked Sendable {
    /// `host->seed`: what modules draw their initial weights from.
    public let seed: UInt64
    private let generator: LockedValue<RandomGenerator>
    private let table: UnsafeMutablePointer<zoo_host_api>

    public init(seed: UInt64) {
        self.seed = seed
        generator = LockedValue(RandomGenerator(seed: seed ^ HostServices.generatorTweak))
        table = UnsafeMutablePointer<zoo_host_api>.allocate(capacity: 1)
        var api = HostServices.api.pointee
        api.seed = seed
        table.initialize(to: api)
        table.pointee.context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        table.deinitialize(count: 1)
        table.deallocate()
    }

    /// The table to pass to `create`.
    public var api: UnsafePointer<zoo_host_api> { UnsafePointer(table) }

    /// The next seed of the run generator (what `host->next_seed` returns).
    public func nextSeed() -> UInt64 { generator.withLock { $0.next() } }

    /// The run generator's state (four words), to keep in a checkpoint and restore on resume.
    public var generatorState: [UInt64] { generator.withLock { $0.stateWords } }

    /// Restores a state from `generatorState`; a state `RandomGenerator(stateWords:)` refuses
    /// changes nothing and returns false.
    @discardableResult
    public func restoreGenerator(_ words: [UInt64]) -> Bool {
        guard let restored = RandomGenerator(stateWords: words) else { return false }
        generator.withLock { $0 = restored }
        return true
    }

    /// The session whose table carries `context`, or nil for the process's table (`HostServices.api`).
    static func from(context: UnsafeMutableRawPointer?) -> HostSession? {
        context.map { Unmanaged<HostSession>.fromOpaque($0).takeUnretainedValue() }
    }
}
