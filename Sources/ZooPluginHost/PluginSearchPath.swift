import Foundation

/// How a manifest or a command line names a plug-in library.
public enum PluginReference: Sendable, Hashable, CustomStringConvertible {
    /// A name looked up in the search path: `focal-loss` matches a file `focal-loss`,
    /// `focal-loss.so` or `libfocal-loss.so` in each folder, in order.
    case name(String)
    /// A file path; a relative one is relative to the manifest's folder.
    case path(String)

    /// A path when the text contains `/` or ends in `.so`, otherwise a name.
    public init(_ text: String) {
        self = text.contains("/") || text.hasSuffix(".so") ? .path(text) : .name(text)
    }

    public var description: String {
        switch self {
        case .name(let name): name
        case .path(let path): path
        }
    }
}

/// The folders plug-ins load from, in the order they are searched: explicitly configured folders,
/// then the manifest's own folder, then the folders of `ZOO_PLUGIN_PATH`, then the folder of the
/// running executable and `<that folder>/../lib/zoo/plugins` (the installed layout), those two only
/// when they exist. A folder is searched once, at its first place. The current directory is never
/// searched unless it is one of these.
public struct PluginSearchPath: Sendable, Equatable {
    public static let environmentVariable = "ZOO_PLUGIN_PATH"

    /// The folders to search, in order, without repeats.
    public private(set) var folders: [URL]
    /// The folder relative paths are resolved against.
    public let manifestFolder: URL?
    /// Entries of `ZOO_PLUGIN_PATH` that were ignored because they are not absolute paths (an
    /// empty or relative entry would mean the current directory).
    public private(set) var ignoredEnvironmentEntries: [String]

    /// - Parameters:
    ///   - explicit: configured folders (command-line options, settings), searched first.
    ///   - manifestFolder: the folder of the manifest being loaded, searched next; relative paths
    ///     are resolved against it.
    ///   - environment: the environment to read `ZOO_PLUGIN_PATH` from (the process's by default).
    ///   - executable: the running executable, whose folders are searched last (the process's by
    ///     default; nil searches neither).
    public init(
        explicit: [URL] = [], manifestFolder: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: URL? = PluginSearchPath.processExecutable
    ) {
        let parsed = PluginSearchPath.parse(environment[PluginSearchPath.environmentVariable] ?? "")
        self.manifestFolder = manifestFolder?.standardizedFileURL
        self.ignoredEnvironmentEntries = parsed.ignored
        var folders: [URL] = []
        var seen = Set<String>()
        let installed = executable.map(PluginSearchPath.executableFolders) ?? []
        for folder in explicit + (manifestFolder.map { [$0] } ?? []) + parsed.folders + installed {
            let standard = folder.standardizedFileURL
            if seen.insert(PluginSearchPath.realPath(standard.path) ?? standard.path).inserted { folders.append(standard) }
        }
        self.folders = folders
    }

    /// The running executable's file with every symbolic link resolved (`/proc/self/exe`, or the
    /// command's first word when that cannot be read), or nil when neither names a file.
    public static var processExecutable: URL? {
        let named = CommandLine.arguments.first.flatMap { $0.contains("/") ? $0 : nil }
        return (realPath("/proc/self/exe") ?? named.flatMap(realPath)).map { URL(fileURLWithPath: $0, isDirectory: false) }
    }

    /// The folders an executable brings, in order: its own folder (a build folder, where the built
    /// plug-ins sit beside `zoo`) and `../lib/zoo/plugins` (where `make install` puts them beside
    /// `bin/zoo`); only those that are directories.
    public static func executableFolders(of executable: URL) -> [URL] {
        let folder = executable.standardizedFileURL.deletingLastPathComponent()
        let installed = folder.appendingPathComponent("../lib/zoo/plugins", isDirectory: true).standardizedFileURL
        return [folder, installed].filter { candidate in
            var status = stat()
            return stat(candidate.path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
        }
    }

    /// `path` with every symbolic link resolved, or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Splits a `ZOO_PLUGIN_PATH` value at colons. Empty and relative entries are ignored, not
    /// taken as the current directory.
    public static func parse(_ value: String) -> (folders: [URL], ignored: [String]) {
        var folders: [URL] = []
        var ignored: [String] = []
        for entry in value.split(separator: ":", omittingEmptySubsequences: false).map(String.init) {
            if entry.hasPrefix("/") {
                folders.append(URL(fileURLWithPath: entry, isDirectory: true).standardizedFileURL)
            } else if !entry.isEmpty {
                ignored.append(entry)
            }
        }
        return (folders, ignored)
    }

    /// The file names tried for a plug-in name, in order.
    public static func fileNames(forName name: String) -> [String] {
        [name, "\(name).so", "lib\(name).so"]
    }

    /// Every candidate path for `name`: each folder in order, each file name in order.
    public func candidates(forName name: String) -> [URL] {
        folders.flatMap { folder in
            PluginSearchPath.fileNames(forName: name).map { folder.appendingPathComponent($0, isDirectory: false) }
        }
    }

    /// The library a reference names. A name is the first candidate that is a regular file
    /// (directories of the same name are passed over); a path must exist.
    public func locate(_ reference: PluginReference) throws(PluginError) -> URL {
        switch reference {
        case .name(let name):
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw PluginError(.fileNotFound, "plug-in name \"\(name)\" is not a valid name", path: nil, step: .locate)
            }
            for candidate in candidates(forName: name) {
                var status = stat()
                if stat(candidate.path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG { return candidate }
            }
            if let recorded = library(recordedAs: name) { return recorded }
            let tried = PluginSearchPath.fileNames(forName: name).joined(separator: ", ") + ", and for a sealed library (NAME.zoo.json) of that name,"
            let advice = "add its folder to \(PluginSearchPath.environmentVariable) or give the library's path"
            if folders.isEmpty {
                throw PluginError(.fileNotFound, "plug-in \"\(name)\" not found: there are no plug-in folders to look in (\(advice))",
                                  path: nil, step: .locate)
            }
            let places = folders.map(\.path).joined(separator: ", ")
            throw PluginError(.fileNotFound, "plug-in \"\(name)\" not found: looked for \(tried) in \(places) (\(advice))",
                              path: nil, step: .locate)
        case .path(let path):
            let url = try resolve(path)
            var status = stat()
            guard stat(url.path, &status) == 0 || errno != ENOENT else {
                let relative = path.hasPrefix("/") ? "" : " (relative to the manifest folder \(manifestFolder!.path))"
                throw PluginError(.fileNotFound, "plug-in file \(url.path) not found\(relative)", path: url.path, step: .locate)
            }
            return url
        }
    }

    /// The `.so` files of the folders, in folder order and by name within a folder, each once.
    public func libraryFiles() -> [URL] {
        var seen = Set<String>()
        var files: [URL] = []
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
            for name in names where name.hasSuffix(".so") {
                let file = folder.appendingPathComponent(name)
                if seen.insert(file.resolvingSymlinksInPath().path).inserted { files.append(file) }
            }
        }
        return files
    }

    /// The first library of the folders whose metadata file (`NAME.zoo.json`, written by
    /// `zoo plugin seal`) records the plug-in name `name`. Only metadata files are read: no library
    /// is opened, hashed or run to find it (loading it later checks it against its metadata).
    public func library(recordedAs name: String) -> URL? {
        libraryFiles().first { (try? PluginDescription.recorded(of: $0))??.name == name }
    }

    /// The first library of the folders whose metadata file records a module named `module`.
    public func library(offeringModule module: String) -> URL? {
        libraryFiles().first { (try? PluginDescription.recorded(of: $0))??.module(named: module) != nil }
    }

    /// An absolute URL for a path: an absolute path as it is, a relative one under the manifest folder.
    public func resolve(_ path: String) throws(PluginError) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path, isDirectory: false).standardizedFileURL }
        guard let manifestFolder else {
            throw PluginError(.fileNotFound,
                              "plug-in path \(path) is relative but there is no manifest folder to resolve it against (give an absolute path)",
                              path: nil, step: .locate)
        }
        return manifestFolder.appendingPathComponent(path, isDirectory: false).standardizedFileURL
    }
}
