import CZooPlugin
import Foundation
import XCTest
import ZooPluginHost
import ZooTensor

/// Collects `host->log` lines during a test.
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [(PluginLogLevel, String)] = []
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded.map { "\($0.0): \($0.1)" }
    }
    func install() {
        HostServices.logHandler = { level, message in
            self.lock.lock()
            self.recorded.append((level, message))
            self.lock.unlock()
        }
    }
}

final class HostServicesTests: XCTestCase {
    let api = HostServices.api.pointee

    func testTableIdentifiesTheHost() {
        XCTAssertEqual(Int(api.struct_size), MemoryLayout<zoo_host_api>.size)
        XCTAssertEqual(Int32(api.abi_major), ZOO_ABI_MAJOR)
        XCTAssertEqual(Int32(api.abi_minor), ZOO_ABI_MINOR)
        XCTAssertEqual(Int(api.thread_count), Threading.threadCount)
        XCTAssertEqual(HostServices.threadCount, Threading.threadCount)
        XCTAssertEqual(HostServices.api, HostServices.api, "one table for the process")
    }

    /// `next_seed` draws from the run generator: setting the seed restarts it, and a saved state
    /// continues the same sequence.
    func testNextSeedFollowsTheRunGeneratorAndItsSavedState() {
        HostServices.seed = 7
        let draw = { self.api.next_seed!(self.api.context) }
        let first = (0..<3).map { _ in draw() }
        HostServices.seed = 7
        XCTAssertEqual((0..<3).map { _ in draw() }, first)
        XCTAssertEqual(Set(first).count, 3)
        let saved = HostServices.generatorState
        let next = (0..<4).map { _ in HostServices.nextSeed() }
        XCTAssertTrue(HostServices.restoreGenerator(saved))
        XCTAssertEqual((0..<4).map { _ in draw() }, next)
        HostServices.seed = 8
        XCTAssertNotEqual(draw(), first[0])
        XCTAssertFalse(HostServices.restoreGenerator([0, 0, 0, 0]), "xoshiro's all-zero state is refused")
        XCTAssertFalse(HostServices.restoreGenerator([1, 2, 3]))
        HostServices.seed = 0
    }

    func testAllocatesAlignedMemory() {
        for bytes in [0, 1, 63, 64, 1000, 1 << 20] {
            let pointer = api.allocate!(api.context, bytes)
            XCTAssertNotNil(pointer)
            XCTAssertEqual(Int(bitPattern: pointer) % 64, 0, "\(bytes) bytes")
            if bytes > 0 { pointer!.storeBytes(of: 0xAB, toByteOffset: bytes - 1, as: UInt8.self) }
            api.release!(api.context, pointer)
        }
        api.release!(api.context, nil)
    }

    func testLogGoesToTheHandler() {
        let recorder = LogRecorder()
        recorder.install()
        defer { HostServices.logHandler = nil }
        api.log!(api.context, ZOO_LOG_WARNING, "careful")
        api.log!(api.context, 17, "loud")
        api.log!(api.context, -3, "quiet")
        XCTAssertEqual(recorder.lines, ["warning: careful", "error: loud", "debug: quiet"])
    }

    func testErrorSlotCarriesStatusAndMessage() throws {
        let setError = api.set_error!
        let (status, message) = PluginCallError.withErrorSlot { error in
            setError(error, ZOO_ERROR_SHAPE, "expected [B, 4], found [B, 5]")
            return ZOO_ERROR_SHAPE
        }
        XCTAssertEqual(status, ZOO_ERROR_SHAPE)
        XCTAssertEqual(message, "expected [B, 4], found [B, 5]")

        let quiet = PluginCallError.withErrorSlot { _ in ZOO_OK }
        XCTAssertEqual(quiet.status, ZOO_OK)
        XCTAssertNil(quiet.message)

        let (result, reported) = PluginCallError.withErrorSlot(returning: { error -> Int in
            setError(error, ZOO_ERROR_INTERNAL, "broken")
            return 7
        })
        XCTAssertEqual(result, 7)
        XCTAssertEqual(reported, PluginCallError(status: ZOO_ERROR_INTERNAL, message: "broken"))

        XCTAssertThrowsError(try PluginCallError.check("module \"double\": forward") { error in
            setError(error, ZOO_ERROR_UNSUPPORTED, "expected float32 tensors")
            return ZOO_ERROR_UNSUPPORTED
        }) { error in
            XCTAssertEqual(error as? PluginCallError,
                           PluginCallError(status: ZOO_ERROR_UNSUPPORTED, message: "module \"double\": forward: expected float32 tensors"))
            XCTAssertEqual("\(error)", "unsupported: module \"double\": forward: expected float32 tensors")
        }
        XCTAssertThrowsError(try PluginCallError.check { _ in ZOO_ERROR_INVALID_CONFIG }) { error in
            XCTAssertEqual((error as? PluginCallError)?.message,
                           "the plug-in returned status 2 (invalid configuration) without a message")
        }
        XCTAssertNoThrow(try PluginCallError.check { _ in ZOO_OK })
    }

    func testParallelForCoversTheRangeOnce() {
        final class Marks: @unchecked Sendable {
            var hits: [Int32]
            var ranges = 0
            let lock = NSLock()
            init(_ count: Int) { hits = [Int32](repeating: 0, count: count) }
        }
        for count in [0, 1, 3, 1000, 100_003] {
            let marks = Marks(count)
            withExtendedLifetime(marks) {
                let context = Unmanaged.passUnretained(marks).toOpaque()
                api.parallel_for!(api.context, Int64(count), { context, begin, end in
                    let marks = Unmanaged<Marks>.fromOpaque(context!).takeUnretainedValue()
                    marks.lock.lock()
                    marks.ranges += 1
                    for index in Int(begin)..<Int(end) { marks.hits[index] += 1 }
                    marks.lock.unlock()
                }, context)
            }
            XCTAssertEqual(marks.hits.filter { $0 != 1 }.count, 0, "count \(count)")
            XCTAssertLessThanOrEqual(marks.ranges, max(1, Threading.threadCount))
        }
    }

    func testSeedIsReadableThroughTheTable() {
        let saved = HostServices.seed
        defer { HostServices.seed = saved }
        HostServices.seed = 0xDEAD_BEEF_1234
        XCTAssertEqual(HostServices.api.pointee.seed, 0xDEAD_BEEF_1234)
    }
}
