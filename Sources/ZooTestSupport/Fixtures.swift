import Foundation

/// The committed reference data under `Tests/Fixtures` (PyTorch fixtures; see its README).
public enum Fixtures {
    /// `Tests/Fixtures` of this package, found from this source file's path.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // ZooTestSupport
        .deletingLastPathComponent()   // Sources
        .deletingLastPathComponent()   // package root
        .appendingPathComponent("Tests/Fixtures")

    public static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}
