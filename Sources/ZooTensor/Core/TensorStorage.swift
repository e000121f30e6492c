import Foundation

/// A reference-counted, 64-byte aligned buffer of `Float`s that tensors share.
///
/// Reshaped tensors share one storage; every other op writes a new one. Buffers come from
/// `StoragePool`, so that a training loop, which asks for the same sizes every step, stops
/// calling the system allocator (and faulting in fresh pages) after its first steps.
public final class TensorStorage: @unchecked Sendable {
    /// Base address of `count` floats.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// For memory Zoo does not own: what keeps it alive (nil for pooled buffers).
    private let owner: AnyObject?
    private let isBorrowed: Bool

    /// Allocates `count` floats, left uninitialised unless `zeroed`.
    public init(count: Int, zeroed: Bool = false) {
        precondition(count >= 0, "[TensorStorage] negative element count \(count)")
        let pointer = OpTimer.measure(.allocation) {
            let pointer = StoragePool.acquire(count)
            if zeroed { pointer.initialize(repeating: 0, count: count) }
            return pointer
        }
        self.pointer = pointer
        self.count = count
        owner = nil
        isBorrowed = false
    }

    /// Wraps memory owned elsewhere (a plug-in's parameters), without copying. The memory must stay
    /// valid while this storage lives; `owner` is retained for that long.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject?) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        isBorrowed = true
    }

    deinit {
        if !isBorrowed { OpTimer.measure(.allocation) { StoragePool.release(pointer, count: count) } }
    }
}

/// Reuses released tensor buffers of the same size class; counts requests and fresh allocations.
///
/// Sizes round up to 64 floats (small) or 4 KiB pages (large). At most `capacityBytes` of idle
/// buffers are kept (`ZOO_STORAGE_CACHE_MB`, default 1024; 0 disables the pool).
public enum StoragePool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var idle: [Int: [UnsafeMutablePointer<Float>]] = [:]
    nonisolated(unsafe) private static var idleBytes = 0
    nonisolated(unsafe) private static var requests = 0
    nonisolated(unsafe) private static var requestedBytes = 0
    nonisolated(unsafe) private static var freshAllocations = 0
    nonisolated(unsafe) private static var freshBytes = 0

    public static let capacityBytes: Int = {
        let text = ProcessInfo.processInfo.environment["ZOO_STORAGE_CACHE_MB"]
        return (text.flatMap { Int($0) } ?? 1024) * 1_048_576
    }()

    /// The floats actually reserved for a request of `count`.
    static func sizeClass(_ count: Int) -> Int {
        let floats = Swift.max(count, 1)
        return floats <= 16_384 ? (floats + 63) & ~63 : (floats + 1023) & ~1023
    }

    static func acquire(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > TensorLimits.largestCount { TensorLimits.refuse(count: count) }
        let size = sizeClass(count)
        lock.lock()
        requests += 1
        requestedBytes += count * 4
        if let reused = idle[size]?.popLast() {
            idleBytes -= size * 4
            lock.unlock()
            return reused
        }
        freshAllocations += 1
        freshBytes += size * 4
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size * 4, alignment: 64).bindMemory(to: Float.self, capacity: size)
    }

    static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let size = sizeClass(count)
        lock.lock()
        if idleBytes + size * 4 <= capacityBytes {
            idle[size, default: []].append(pointer)
            idleBytes += size * 4
            lock.unlock()
            return
        }
        lock.unlock()
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Storage requests and fresh system allocations (count and bytes) since the process started.
    public static var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return Statistics(requests: requests, requestedBytes: requestedBytes,
                          freshAllocations: freshAllocations, freshBytes: freshBytes)
    }

    public struct Statistics: Sendable {
        public var requests: Int
        public var requestedBytes: Int
        public var freshAllocations: Int
        public var freshBytes: Int
    }
}
