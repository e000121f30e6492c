import XCTest
import ZooData
import ZooTensor

final class BatchLoaderTests: XCTestCase {
    let dataset = Dataset(values: .floats((0..<(23 * 4)).map(Float.init)), sampleShape: [1, 2, 2],
                          labels: (0..<23).map { $0 % 3 })

    func testBackgroundBatchesEqualTheDirectComputationAndRepeatForASeed() {
        let configuration = LoaderConfiguration(batchSize: 5, augmentation: Augmentation(cropPadding: 1, horizontalFlip: true),
                                                prefetch: 2, seed: 11)
        let loader = BatchLoader(dataset: dataset, configuration: configuration, epoch: 3)
        XCTAssertEqual(loader.batches.count, 4, "23 samples in batches of 5, the last short one dropped")
        let streamed = Array(loader)
        XCTAssertEqual(streamed.count, 4)
        for (index, batch) in streamed.enumerated() {
            let direct = loader.batch(at: index)
            XCTAssertEqual(batch.labels, direct.labels)
            XCTAssertEqual(batch.inputs.scalars, direct.inputs.scalars)
        }
        let again = Array(BatchLoader(dataset: dataset, configuration: configuration, epoch: 3))
        XCTAssertEqual(again.map(\.inputs.scalars), streamed.map(\.inputs.scalars))
        let nextEpoch = Array(BatchLoader(dataset: dataset, configuration: configuration, epoch: 4))
        XCTAssertNotEqual(nextEpoch.map(\.labels), streamed.map(\.labels))
    }

    func testKeepingTheLastBatchAndStoppingEarly() {
        let loader = BatchLoader(dataset: dataset, configuration: LoaderConfiguration(batchSize: 5, dropLast: false), epoch: 0)
        XCTAssertEqual(loader.batches.map(\.count), [5, 5, 5, 5, 3])
        XCTAssertEqual(Set(loader.batches.flatMap { $0 }), Set(0..<23), "uniform sampling visits every sample once")
        let iterator = loader.makeIterator()
        XCTAssertNotNil(iterator.next())   // an abandoned iterator must not hang or leak its thread's work
    }

    func testTheProducerThreadEndsWhenAnEpochIsAbandoned() {
        // Threads of earlier tests' abandoned epochs end first.
        let deadline = Date().addingTimeInterval(10)
        while BatchLoader.Producers.count > 0 && Date() < deadline { usleep(1000) }
        let before = BatchLoader.Producers.count
        XCTAssertEqual(before, 0)
        do {
            let loader = BatchLoader(dataset: dataset, configuration: LoaderConfiguration(batchSize: 2, prefetch: 1), epoch: 0)
            let iterator = loader.makeIterator()
            XCTAssertNotNil(iterator.next())
            XCTAssertEqual(BatchLoader.Producers.count, before + 1, "the producer waits for room, 10 batches still to make")
        }
        // Released: the producer wakes and ends.
        while BatchLoader.Producers.count > before && Date() < deadline { usleep(1000) }
        XCTAssertEqual(BatchLoader.Producers.count, before)
        // A finished epoch ends its thread as well.
        _ = Array(BatchLoader(dataset: dataset, configuration: LoaderConfiguration(batchSize: 5), epoch: 1))
        while BatchLoader.Producers.count > before && Date() < deadline { usleep(1000) }
        XCTAssertEqual(BatchLoader.Producers.count, before)
    }
}
