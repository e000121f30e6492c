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

    /// Hands out batches that a background thread prepares in order.
    public final class Iterator: IteratorProtocol, Sequence, @unchecked Sendable {
        private let loader: BatchLoader
        private let ready = DispatchSemaphore(value: 0)
        private let space: DispatchSemaphore
        private let lock = NSLock()
        private var queue: [(inputs: Tensor, labels: [Int])] = []
        private let first: Int
        private var position = 0
        private var cancelled = false

        init(loader: BatchLoader, start: Int) {
            self.loader = loader
            first = Swift.min(Swift.max(start, 0), loader.batches.count)
            position = first
            space = DispatchSemaphore(value: loader.configuration.prefetch)
            let thread = Thread { [self] in produce() }
            thread.name = "zoo-loader"
            thread.start()
        }

        deinit {
            lock.lock()
            cancelled = true
            lock.unlock()
        }

        private func produce() {
            for index in first..<loader.batches.count {
                space.wait()
                lock.lock()
                let stop = cancelled
                lock.unlock()
                if stop { return }
                let batch = loader.batch(at: index)
                lock.lock()
                queue.append(batch)
                lock.unlock()
                ready.signal()
            }
        }

        public func next() -> (inputs: Tensor, labels: [Int])? {
            guard position < loader.batches.count else { return nil }
            ready.wait()
            lock.lock()
            let batch = queue.removeFirst()
            lock.unlock()
            space.signal()
            position += 1
            return batch
        }
    }

    /// A seed for (run seed, epoch, batch) that differs in every coordinate.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var generator = RandomGenerator(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return generator.next()
    }
}
