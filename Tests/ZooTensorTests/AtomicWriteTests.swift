import Foundation
import XCTest
import ZooTensor

#if canImport(Glibc)
import Glibc
#endif

final class AtomicWriteTests: XCTestCase {
    /// A child process killed while it writes a large file over an existing one leaves the old file
    /// whole: the bytes go to a temporary file that only a finished write renames into place.
    func testAWriteKilledMidwayLeavesTheOldFileIntact() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("checkpoint.safetensors")
        let old = SafeTensorsArchive(metadata: ["epoch": "1"], tensors: ["w": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])])
        try old.write(to: target)
        let oldBytes = try Data(contentsOf: target)

        // 256 MiB: long enough to write that the parent sees the temporary file first.
        let large = SafeTensorsArchive(metadata: ["epoch": "2"], tensors: ["w": Tensor.zeros([64, 1024, 1024])])
        let child = fork()
        XCTAssertGreaterThanOrEqual(child, 0)
        if child == 0 {
            try? large.write(to: target)
            _exit(0)
        }
        var killedMidway = false
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if let temporary = names.first(where: { $0.hasSuffix(".tmp") }),
               let size = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(temporary).path))?[.size] as? Int,
               size > 0 {
                kill(child, SIGKILL)
                killedMidway = true
                break
            }
            usleep(500)
        }
        if !killedMidway { kill(child, SIGKILL) }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        XCTAssertTrue(killedMidway, "the temporary file never appeared")
        XCTAssertEqual(status & 0x7f, SIGKILL, "the child was killed before it finished")

        XCTAssertEqual(try Data(contentsOf: target), oldBytes)
        let reread = try SafeTensorsArchive(contentsOf: target)
        XCTAssertEqual(reread.metadata["epoch"], "1")
        XCTAssertEqual(reread.tensors["w"]?.scalars, [1, 2, 3, 4])
        // The next write still succeeds beside the dead one's leftover.
        try old.write(to: target)
        XCTAssertEqual(try Data(contentsOf: target), oldBytes)
    }
}
