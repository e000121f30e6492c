import Foundation
import Synchronization

/// A fixed set of worker threads for Zoo's parallel loops and GEMM blocks.
///
/// Kernels issue many short parallel regions (one per element-wise op, per normalisation, per
/// GEMM), so the hand-off must be cheap: the caller publishes a job by bumping an atomic ticket,
/// takes parts itself, and spins until every part is done; idle workers spin briefly on the ticket
/// before they sleep. A region started from inside another runs serially on its thread.
final class WorkerPool: @unchecked Sendable {
    /// The threads that work on a region, the caller included.
    let width: Int

    /// `generation << 32 | next part`: parts are taken only for the generation a worker saw.
    private let ticket = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private var parts = 0
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()

    init(width: Int) {
        self.width = Swift.max(1, width)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for _ in 1..<self.width {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "zoo-worker"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Calls `body(part)` for every part in `0..<parts`, spread over the pool; returns when all are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, width > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            self.parts = parts
            remaining.store(parts, ordering: .relaxed)
            let generation = (ticket.load(ordering: .relaxed) >> 32) + 1
            ticket.store(generation << 32, ordering: .releasing)
            if sleepers.load(ordering: .acquiring) > 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_broadcast(&wake)
                pthread_mutex_unlock(&mutex)
            }
            work(generation: generation)
            while remaining.load(ordering: .acquiring) > 0 { spin() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Takes and runs parts of `generation` until none are left.
    private func work(generation: Int) {
        while true {
            let current = ticket.load(ordering: .acquiring)
            guard current >> 32 == generation, current & 0xFFFF_FFFF < parts else { return }
            guard ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            job!(current & 0xFFFF_FFFF)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            var generation = ticket.load(ordering: .acquiring) >> 32
            while generation == seen {
                spins += 1
                if spins < 20_000 {
                    spin()
                } else {
                    pthread_mutex_lock(&mutex)
                    sleepers.add(1, ordering: .releasing)
                    while ticket.load(ordering: .acquiring) >> 32 == seen { pthread_cond_wait(&wake, &mutex) }
                    sleepers.subtract(1, ordering: .releasing)
                    pthread_mutex_unlock(&mutex)
                }
                generation = ticket.load(ordering: .acquiring) >> 32
            }
            seen = generation
            work(generation: generation)
        }
    }

    @inline(__always) private func spin() {
        for _ in 0..<8 { _ = ticket.load(ordering: .relaxed) }
    }
}
