import Foundation

/// A reference-counted, 64-byte aligned buffer of `Float`s that tensors share.
///
/// Reshaped tensors share one storage; every other op writes a new one.
public final class TensorStorage: @unchecked Sendable {
    /// Base address of `count` floats.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` floats, left uninitialised unless `zeroed`.
    public init(count: Int, zeroed: Bool = false) {
        precondition(count >= 0, "[TensorStorage] negative element count \(count)")
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        if zeroed { pointer.initialize(repeating: 0, count: count) }
        AllocationCounter.record(bytes: count * MemoryLayout<Float>.stride)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// Counts tensor-storage allocations so that benchmarks can report allocations per step.
public enum AllocationCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var allocations = 0
    nonisolated(unsafe) private static var bytes = 0

    static func record(bytes count: Int) {
        lock.lock()
        allocations += 1
        bytes += count
        lock.unlock()
    }

    /// The number of storages allocated and their total bytes since the process started.
    public static var snapshot: (allocations: Int, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (allocations, bytes)
    }
}
