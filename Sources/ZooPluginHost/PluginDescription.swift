import Foundation
import ZooValue

/// What a plug-in library declares (its name, version, ABI and modules), as plain values that can
/// be read without running any of its code.
///
/// A loaded `PluginLibrary` gives one; so does the library's metadata file, `NAME.zoo.json` beside
/// `NAME.so`, written by `zoo plugin seal` (which loads the library once, at its author's or
/// installer's request). `zoo plugins list/inspect` read the metadata file and never `dlopen` the
/// library; the file is trusted only while the library's SHA-256 equals the one
/// it records, and loading refuses a library that no longer matches its metadata file.
public struct PluginDescription: Sendable, Equatable {
    public struct Module: Sendable, Equatable {
        public var name: String
        public var kind: ModuleKind
        public var summary: String
        public var inputCount: Int
        public var outputCount: Int
        public var batchEffect: BatchEffect
        public var trainingOnly: Bool
        public var threading: ModuleThreading
        /// The configuration schema's JSON text.
        public var configSchemaJSON: String
        public var documentation: String?
    }

    public var path: String
    public var name: String
    public var version: String
    public var abiMajor: Int
    public var abiMinor: Int
    public var isSwift: Bool
    public var sha256: String
    public var modules: [Module]

    /// The metadata format this host writes and reads.
    public static let format = "zoo-plugin-metadata/1"

    public init(_ library: PluginLibrary) {
        path = library.path
        (name, version, abiMajor, abiMinor) = (library.name, library.version, library.abiMajor, library.abiMinor)
        (isSwift, sha256) = (library.isSwift, library.sha256)
        modules = library.modules.map(Module.init)
    }

    public func module(named name: String) -> Module? { modules.first { $0.name == name } }

    // MARK: the metadata file

    /// `NAME.zoo.json` beside `NAME.so` (`libZooHeads.so` → `libZooHeads.zoo.json`).
    public static func metadataFile(of library: URL) -> URL {
        let name = library.lastPathComponent
        let stem = name.hasSuffix(".so") ? String(name.dropLast(3)) : name
        return library.deletingLastPathComponent().appendingPathComponent(stem + ".zoo.json")
    }

    /// The JSON the metadata file holds.
    public var json: JSONValue {
        .object([
            ("format", .string(PluginDescription.format)), ("name", .string(name)), ("version", .string(version)),
            ("abi", .string("\(abiMajor).\(abiMinor)")), ("language", .string(isSwift ? "swift" : "c")),
            ("sha256", .string(sha256)), ("file", .string(URL(fileURLWithPath: path).lastPathComponent)),
            ("modules", .array(modules.map(\.json))),
        ])
    }

    /// Writes the metadata file beside the library, atomically.
    public func writeMetadata() throws {
        let file = PluginDescription.metadataFile(of: URL(fileURLWithPath: path))
        try Data((json.jsonText + "\n").utf8).write(to: file, options: .atomic)
    }

    /// The description in the metadata file beside `library`, checked against the library without
    /// running it: the file is a valid ELF shared library and its SHA-256 is the recorded one.
    /// Nil when there is no metadata file.
    public static func readMetadata(of library: URL) throws(PluginError) -> PluginDescription? {
        let path = library.standardizedFileURL.path
        let file = metadataFile(of: library.standardizedFileURL)
        guard var description = try recorded(of: library) else { return nil }
        let digest: String
        do { digest = SHA256.hex(try SHA256.hash(file: path)) } catch {
            throw PluginError(.cannotOpen, "cannot read plug-in \(path): \(error)", path: path, step: .integrity)
        }
        guard digest == description.sha256 else { throw staleMetadata(path: path, metadata: file.path, digest: digest, recorded: description.sha256) }
        do {
            description.isSwift = try ELFInspector.validate(path: path).isSwift
        } catch {
            throw PluginError(.notSharedLibrary, "plug-in \(path) is not a loadable shared library: \(error)", path: path, step: .inspect)
        }
        return description
    }

    static func staleMetadata(path: String, metadata: String, digest: String, recorded: String) -> PluginError {
        PluginError(.hashMismatch, "plug-in \(path) has SHA-256 \(digest), its metadata file \(metadata) describes a library with "
                    + "SHA-256 \(recorded): the library changed since `zoo plugin seal`; seal it again", path: path, step: .integrity)
    }

    /// What the metadata file beside `library` records, parsed but not checked against the library
    /// (no hashing): enough to find a library by name, never to trust it.
    public static func recorded(of library: URL) throws(PluginError) -> PluginDescription? {
        let path = library.standardizedFileURL.path
        let file = metadataFile(of: library.standardizedFileURL)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        func refuse(_ why: String) -> PluginError {
            PluginError(.invalidDescriptor, "metadata file \(file.path): \(why)", path: path, step: .inspect)
        }
        guard let data = FileManager.default.contents(atPath: file.path), data.count <= 16 << 20 else {
            throw refuse("cannot be read (or is larger than 16 MiB)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(String(decoding: data, as: UTF8.self)) } catch { throw refuse("not JSON: \(error)") }
        return try PluginDescription(json: value, path: path, refuse: refuse)
    }

    init(json value: JSONValue, path: String, refuse: (String) -> PluginError) throws(PluginError) {
        func string(_ key: String, in object: JSONValue, _ place: String) throws(PluginError) -> String {
            guard case .string(let text)? = object[key] else { throw refuse("\(place)\(key): expected a string, found \(object[key]?.typeName ?? "nothing")") }
            return text
        }
        func integer(_ key: String, in object: JSONValue, _ place: String) throws(PluginError) -> Int {
            guard case .integer(let number)? = object[key], let value = Int(exactly: number), value >= 0, value <= 1 << 16 else {
                throw refuse("\(place)\(key): expected a count, found \(object[key]?.description ?? "nothing")")
            }
            return value
        }
        guard case .object = value else { throw refuse("expected a JSON object, found \(value.typeName)") }
        let format = try string("format", in: value, "")
        guard format == PluginDescription.format else { throw refuse("format \"\(format)\", expected \"\(PluginDescription.format)\"") }
        self.path = path
        name = try string("name", in: value, "")
        version = try string("version", in: value, "")
        let abi = try string("abi", in: value, "").split(separator: ".").compactMap { Int($0) }
        guard abi.count == 2 else { throw refuse("abi: expected MAJOR.MINOR") }
        (abiMajor, abiMinor) = (abi[0], abi[1])
        isSwift = try string("language", in: value, "") == "swift"
        sha256 = try string("sha256", in: value, "")
        guard case .array(let entries)? = value["modules"] else { throw refuse("modules: expected an array") }
        var modules: [Module] = []
        for (index, entry) in entries.enumerated() {
            let place = "modules[\(index)]."
            let kinds: [String: ModuleKind] = ["backbone": .backbone, "head": .head, "loss": .loss, "relation": .relation]
            let kindName = try string("kind", in: entry, place)
            guard let kind = kinds[kindName] else { throw refuse("\(place)kind: \"\(kindName)\" is not backbone, head, loss or relation") }
            guard let schema = entry["config_schema"], case .object = schema else { throw refuse("\(place)config_schema: expected an object") }
            let documentation: String? = if case .string(let text)? = entry["documentation"] { text } else { nil }
            modules.append(Module(
                name: try string("name", in: entry, place), kind: kind, summary: try string("summary", in: entry, place),
                inputCount: try integer("inputs", in: entry, place), outputCount: try integer("outputs", in: entry, place),
                batchEffect: try string("batch_effect", in: entry, place) == "two-stream" ? .twoStream : .unchanged,
                trainingOnly: entry["training_only"] == .bool(true),
                threading: try string("threading", in: entry, place) == "reentrant" ? .reentrant : .serialised,
                configSchemaJSON: schema.jsonText, documentation: documentation))
        }
        self.modules = modules
    }

    /// Why a loaded library does not match this description (its metadata file), if it does not.
    public func mismatch(with library: PluginDescription) -> String? {
        var differences: [String] = []
        if name != library.name { differences.append("name \(library.name), the metadata says \(name)") }
        if version != library.version { differences.append("version \(library.version), the metadata says \(version)") }
        if (abiMajor, abiMinor) != (library.abiMajor, library.abiMinor) {
            differences.append("ABI \(library.abiMajor).\(library.abiMinor), the metadata says \(abiMajor).\(abiMinor)")
        }
        if modules.map(\.name) != library.modules.map(\.name) {
            differences.append("modules \(library.modules.map(\.name)), the metadata says \(modules.map(\.name))")
        } else if let changed = zip(modules, library.modules).first(where: { $0 != $1 }) {
            differences.append("module \(changed.0.name) differs from its metadata")
        }
        return differences.isEmpty ? nil : differences.joined(separator: "; ")
    }
}

extension PluginDescription.Module {
    public init(_ module: ModuleDescriptor) {
        self.init(name: module.name, kind: module.kind, summary: module.summary, inputCount: module.inputCount,
                  outputCount: module.outputCount, batchEffect: module.batchEffect, trainingOnly: module.trainingOnly,
                  threading: module.threading,
                  configSchemaJSON: (try? JSONValue.parse(module.configSchemaJSON))?.jsonText ?? module.configSchemaJSON,
                  documentation: module.documentation)
    }

    /// The module as the metadata file and `zoo plugins inspect --json` show it.
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(name)), ("kind", .string(kind.description)), ("summary", .string(summary)),
            ("inputs", .integer(Int64(inputCount))), ("outputs", .integer(Int64(outputCount))),
            ("batch_effect", .string(batchEffect == .twoStream ? "two-stream" : "unchanged")),
            ("training_only", .bool(trainingOnly)),
            ("threading", .string(threading == .reentrant ? "reentrant" : "serialised")),
        ]
        members.append(("config_schema", (try? JSONValue.parse(configSchemaJSON)) ?? .object([])))
        members.append(("documentation", documentation.map(JSONValue.string) ?? .null))
        return .object(members)
    }
}
