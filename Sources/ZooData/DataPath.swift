import Foundation

/// The file-system checks the formats' conventions share: a folder or not, a file that must be
/// there, a member of a folder that may be gzip-compressed.
public enum DataPath {
    /// Whether `url` is a folder.
    public static func isFolder(_ url: URL) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &folder) && folder.boolValue
    }

    /// The standardised path of `url`, which must exist.
    public static func existing(_ url: URL) throws -> String {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataLayoutError(.notFound, "file not found: \(url.standardizedFileURL.path)")
        }
        return url.standardizedFileURL.path
    }

    /// `name` or `name.gz` in `folder`.
    static func member(_ name: String, in folder: URL) throws -> String {
        for candidate in [name, name + ".gz"] {
            let url = folder.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url.standardizedFileURL.path }
        }
        throw DataLayoutError(.notFound, "file not found: \(folder.appendingPathComponent(name).standardizedFileURL.path) (or .gz)")
    }
}
