import CZooPlugin
import XCTest
import ZooPluginHost

/// A session's table: its own seed and generator, reached through the C function pointers as a
/// plug-in reaches them, and nothing shared with the process's table.
final class HostSessionTests: XCTestCase {
    func testASessionsTableCarriesItsSeedAndDrawsFromItsOwnGenerator() throws {
        let before = HostServices.generatorState
        let first = HostSession(seed: 41), second = HostSession(seed: 41), other = HostSession(seed: 42)
        XCTAssertEqual(first.api.pointee.seed, 41)
        XCTAssertNotEqual(first.api, second.api)
        let next = try XCTUnwrap(first.api.pointee.next_seed)
        let drawn = (0..<3).map { _ in next(first.api.pointee.context) }
        XCTAssertEqual(drawn, (0..<3).map { _ in second.nextSeed() }, "the same seed gives the same draws")
        XCTAssertNotEqual(drawn.first, other.nextSeed())
        XCTAssertEqual(HostServices.generatorState, before, "a session never draws from the process's generator")

        let saved = first.generatorState
        let ahead = (0..<2).map { _ in first.nextSeed() }
        XCTAssertTrue(first.restoreGenerator(saved))
        XCTAssertEqual((0..<2).map { _ in first.nextSeed() }, ahead)
        XCTAssertFalse(first.restoreGenerator([0, 0, 0, 0]))
    }
}
