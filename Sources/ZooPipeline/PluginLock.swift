import Foundation
import ZooValue

/// The plug-ins a manifest was locked to (`zoo plugins lock`): for each library the manifest
/// names, the file it resolved to, its name, version, ABI, SHA-256 and the modules the manifest
/// uses of it. `zoo train` and `zoo eval` refuse a library whose SHA-256 is not the locked one.
///
/// The file is JSON (`zoo.lock` beside the manifest by default):
///
///     {"format": "zoo-lock/1", "manifest": "recipe.yaml",
///      "plugins": [{"plugin": "zoo-heads", "path": "/…/libZooHeads.so", "library": "zoo-heads",
///                   "version": "1.0.0", "abi": "1.3", "sha256": "…", "modules": ["linear"]}]}
public struct PluginLock: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The plug-in as the manifest names it: its `path` when it gives one, else its `name`.
        public var plugin: String
        /// The library file it resolved to.
        public var path: String
        /// The library's own name, version and ABI (`MAJOR.MINOR`), as it declares them.
        public var library: String
        public var version: String
        public var abi: String
        /// The library file's SHA-256, lowercase hexadecimal.
        public var sha256: String
        /// The modules the manifest uses of it, in stage order.
        public var modules: [String]

        public init(plugin: String, path: String, library: String, version: String, abi: String, sha256: String, modules: [String]) {
            (self.plugin, self.path, self.library, self.version, self.abi) = (plugin, path, library, version, abi)
            (self.sha256, self.modules) = (sha256, modules)
        }
    }

    /// The format this host writes and reads.
    public static let format = "zoo-lock/1"
    /// The lock file's name beside its manifest.
    public static let defaultFileName = "zoo.lock"

    /// The manifest's file name, as information for a reader (a lock applies to every manifest of
    /// its folder that it is given for).
    public var manifest: String
    public var entries: [Entry]
    /// The file the lock was read from (nil for one made in memory); refusals name it.
    public var file: URL?

    public init(manifest: String, entries: [Entry], file: URL? = nil) {
        self.manifest = manifest
        self.entries = entries
        self.file = file
    }

    /// The entry of the plug-in the manifest names `plugin`.
    public func entry(for plugin: String) -> Entry? { entries.first { $0.plugin == plugin } }

    /// `zoo.lock` in the manifest's folder.
    public static func defaultFile(forManifest manifest: URL) -> URL {
        manifest.standardizedFileURL.deletingLastPathComponent().appendingPathComponent(defaultFileName)
    }

    // MARK: the file

    public var json: JSONValue {
        .object([
            ("format", .string(PluginLock.format)), ("manifest", .string(manifest)),
            ("plugins", .array(entries.map { entry in
                .object([
                    ("plugin", .string(entry.plugin)), ("path", .string(entry.path)), ("library", .string(entry.library)),
                    ("version", .string(entry.version)), ("abi", .string(entry.abi)), ("sha256", .string(entry.sha256)),
                    ("modules", .array(entry.modules.map(JSONValue.string))),
                ])
            })),
        ])
    }

    /// Writes the lock to `file` atomically: a temporary file beside it, renamed into place, so a
    /// reader sees the old lock or the new one, never part of one.
    public func write(to file: URL) throws(PluginLockError) {
        do {
            try Data((json.jsonText(pretty: true) + "\n").utf8).write(to: file, options: .atomic)
        } catch {
            throw PluginLockError(file: file.path, key: "", message: "cannot be written: \(error.localizedDescription)")
        }
    }

    /// The lock in `file`; a file that is not a lock is refused with the key that is wrong.
    public static func read(_ file: URL) throws(PluginLockError) -> PluginLock {
        let path = file.path
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "not found"
            throw PluginLockError(file: path, key: "", message: reason)
        }
        guard data.count <= 16 << 20 else {
            throw PluginLockError(file: path, key: "", message: "is \(data.count) bytes, larger than a lock file may be (16 MiB)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw PluginLockError(file: path, key: "", message: "not JSON: \(error)")
        }
        var lock = try PluginLock(json: value, file: path)
        lock.file = file
        return lock
    }

    /// The lock a JSON value holds; `file` names it in errors.
    public init(json value: JSONValue, file: String) throws(PluginLockError) {
        let reader = LockReader(file: file)
        let top = try reader.object(value, at: "", keys: ["format", "manifest", "plugins"])
        let format = try reader.string(top, "format", in: "")
        guard format == PluginLock.format else {
            throw reader.refuse("format", "expected \"\(PluginLock.format)\", found \"\(format)\"")
        }
        manifest = try reader.string(top, "manifest", in: "")
        guard case .array(let elements)? = top["plugins"] else {
            throw reader.refuse("plugins", "expected an array, found \(top["plugins"]?.typeName ?? "nothing")")
        }
        var entries: [Entry] = []
        for (index, element) in elements.enumerated() {
            let place = "plugins[\(index)]"
            let object = try reader.object(element, at: place, keys: ["plugin", "path", "library", "version", "abi", "sha256", "modules"])
            let entry = Entry(
                plugin: try reader.string(object, "plugin", in: place), path: try reader.string(object, "path", in: place),
                library: try reader.string(object, "library", in: place), version: try reader.string(object, "version", in: place),
                abi: try reader.string(object, "abi", in: place), sha256: try reader.sha256(object, in: place),
                modules: try reader.strings(object, "modules", in: place))
            if let first = entries.firstIndex(where: { $0.plugin == entry.plugin }) {
                throw reader.refuse("\(place).plugin", "\"\(entry.plugin)\" is locked twice (first at plugins[\(first)])")
            }
            entries.append(entry)
        }
        self.entries = entries
        self.file = URL(fileURLWithPath: file)
    }
}

/// A lock file that cannot be read or is not a lock: the file, the key and what is wrong.
public struct PluginLockError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// `plugins[1].sha256`; empty for the file as a whole.
    public var key: String
    public var message: String

    public init(file: String, key: String, message: String) {
        (self.file, self.key, self.message) = (file, key, message)
    }

    /// `zoo.lock: plugins[1].sha256: expected 64 hexadecimal digits, found "abc"`.
    public var description: String { key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)" }
}

/// Reads the members of a lock file's JSON, each refusal naming the file and the key.
private struct LockReader {
    let file: String

    func refuse(_ key: String, _ message: String) -> PluginLockError { PluginLockError(file: file, key: key, message: message) }

    func key(_ name: String, in place: String) -> String { place.isEmpty ? name : "\(place).\(name)" }

    /// An object with only the `keys` it may have.
    func object(_ value: JSONValue, at place: String, keys: [String]) throws(PluginLockError) -> JSONValue {
        guard case .object(let members) = value else {
            throw refuse(place, "expected an object, found \(value.typeName)")
        }
        if let unknown = members.first(where: { !keys.contains($0.key) }) {
            throw refuse(key(unknown.key, in: place), "unknown key (expected \(keys.joined(separator: ", ")))")
        }
        return value
    }

    func string(_ object: JSONValue, _ name: String, in place: String) throws(PluginLockError) -> String {
        guard case .string(let text)? = object[name] else {
            throw refuse(key(name, in: place), "expected a string, found \(object[name]?.typeName ?? "nothing")")
        }
        return text
    }

    func strings(_ object: JSONValue, _ name: String, in place: String) throws(PluginLockError) -> [String] {
        guard case .array(let elements)? = object[name] else {
            throw refuse(key(name, in: place), "expected an array of strings, found \(object[name]?.typeName ?? "nothing")")
        }
        var texts: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw refuse("\(key(name, in: place))[\(index)]", "expected a string, found \(element.typeName)")
            }
            texts.append(text)
        }
        return texts
    }

    func sha256(_ object: JSONValue, in place: String) throws(PluginLockError) -> String {
        let text = try string(object, "sha256", in: place)
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw refuse(key("sha256", in: place), "expected 64 lowercase hexadecimal digits, found \"\(text)\"")
        }
        return text
    }
}
