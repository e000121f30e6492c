import Foundation
import ZooTensor

/// How an epoch's batches are made.
public struct LoaderConfiguration: Sendable {
    public var batchSize: Int
    public var sampling: Sampling
    public var augmentation: Augmentation?
    /// Drop a last batch smaller than `batchSize`.
    public var dropLast: Bool
    /// Batches prepared ahead on the background thread.
    public var prefetch: Int
    public var seed: UInt64

    public init(batchSize: Int, sampling: Sampling = .uniform, augmentation: Augmentation? = nil, dropLast: Bool = true,
                prefetch: Int = 2, seed: UInt64 = 0) {
        precondition(batchSize > 0 && prefetch > 0, "[loader] batch size and prefetch must be positive")
        (self.batchSize, self.sampling, self.augmentation) = (batchSize, sampling, augmentation)
        (self.dropLast, self.prefetch, self.seed) = (dropLast, prefetch, seed)
    }
}

/// One epoch's batches, prepared on a background thread at most `prefetch` ahead of the consumer.
///
/// The sample order comes from `(seed, epoch)` and each batch's augmentation from
/// `(seed, epoch, batch index)`, so the sequence of batches is the same for a seed whatever the
/// thread count or timing.
///
/// ```swift
/// for (inputs, labels) in BatchLoader(dataset: train, configuration: configuration, epoch: epoch) { … }
/// ```
public final class BatchLoader: Sequence, @unchecked Sendable {
    public let dataset: Dataset
    public let configuration: LoaderConfiguration
    public let epoch: Int
    /// The sample indices of each batch, in order.
    public let batches: [[Int]]

    public init(dataset: Dataset, configuration: LoaderConfiguration, epoch: Int) {
        self.dataset = dataset
        self.configuration = configuration
        self.epoch = epoch
        var generator = RandomGenerator(seed: BatchLoader.mix(configuration.seed, UInt64(epoch), 0))
        let order = configuration.sampling.epoch(labels: dataset.labels, classCount: dataset.classCount, generator: &generator)
        var batches = stride(from: 0, to: order.count, by: configuration.batchSize).map {
            Array(order[$0..<Swift.min($0 + configuration.batchSize, order.count)])
        }
        if configuration.dropLast, let last = batches.last, last.count < configuration.batchSize { batches.removeLast() }
        self.batches = batches
    }

    /// Batch `index` of this epoch, computed on the calling thread.
    public func batch(at index: Int) -> (inputs: Tensor, labels: [Int]) {
        let (inputs, labels) = dataset.batch(batches[index])
        guard let augmentation = configuration.augmentation else { return (inputs, labels) }
        var generator = RandomGenerator(seed: BatchLoader.mix(configuration.seed, UInt64(epoch), UInt64(index) + 1))
        return (augmentation.apply(inputs, generator: &generator), labels)
    }

    public func makeIterator() -> Iterator { Iterator(loader: self, start: 0) }

    /// The batches from `start` on (a resumed epoch skips those already trained, without making them).
    public func makeIterator(startingAt start: Int) -> Iterator { Iterator(loader: self, start: start) }

    /// Hands out batches that a background thread prepares in order. The thread ends when the
    /// epoch's last batch is made or, for an epoch abandoned early, when the iterator is released.
    public final class Iterator: IteratorProtocol, Sequence, @unchecked Sendable {
        private let loader: BatchLoader
        private let channel: Channel
        private var position = 0

        init(loader: BatchLoader, start: Int) {
            self.loader = loader
            let first = Swift.min(Swift.max(start, 0), loader.batches.count)
            position = first
            let channel = Channel(prefetch: loader.configuration.prefetch)
            self.channel = channel
            // The thread holds the channel and the loader, never the iterator, so that releasing
            // the iterator reaches `deinit`, which stops the thread.
            Producers.started()
            let thread = Thread {
                defer { Producers.ended() }
                for index in first..<loader.batches.count {
                    guard channel.waitForSpace() else { return }
                    channel.put(loader.batch(at: index))
                }
            }
            thread.name = "zoo-loader"
            thread.start()
        }

        deinit { channel.cancel() }

        public func next() -> (inputs: Tensor, labels: [Int])? {
            guard position < loader.batches.count else { return nil }
            position += 1
            return channel.take()
        }
    }

    /// The queue between the producer thread and the iterator: at most `prefetch` batches ahead.
    /// (A condition, not semaphores: libdispatch traps when a semaphore is freed below its start value.)
    final class Channel: @unchecked Sendable {
        private let condition = NSCondition()
        private let prefetch: Int
        private var queue: [(inputs: Tensor, labels: [Int])] = []
        private var cancelled = false

        init(prefetch: Int) { self.prefetch = prefetch }

        /// Waits for room for one batch; false once the consumer is gone.
        func waitForSpace() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while queue.count >= prefetch && !cancelled { condition.wait() }
            return !cancelled
        }

        func put(_ batch: (inputs: Tensor, labels: [Int])) {
            condition.lock()
            queue.append(batch)
            condition.broadcast()
            condition.unlock()
        }

        func take() -> (inputs: Tensor, labels: [Int]) {
            condition.lock()
            defer { condition.unlock() }
            while queue.isEmpty { condition.wait() }
            let batch = queue.removeFirst()
            condition.broadcast()
            return batch
        }

        /// The consumer is gone: wakes a producer waiting for room, which then ends.
        func cancel() {
            condition.lock()
            cancelled = true
            queue.removeAll()
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The number of producer threads running, for tests that check none is left behind.
    public enum Producers {
        private static let lock = NSLock()
        nonisolated(unsafe) private static var running = 0
        public static var count: Int { lock.withLock { running } }
        static func started() { lock.withLock { running += 1 } }
        static func ended() { lock.withLock { running -= 1 } }
    }

    /// A seed for (run seed, epoch, batch) that differs in every coordinate.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var generator = RandomGenerator(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return generator.next()
    }
}
