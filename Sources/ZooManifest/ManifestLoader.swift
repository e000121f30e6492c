import Foundation

/// A manifest read from a file: includes expanded, `--set` overrides applied, decoded and checked.
public struct LoadedManifest: Sendable {
    /// The typed manifest, defaults filled.
    public var manifest: Manifest
    /// The merged document as written (includes expanded, overrides applied), with locations:
    /// what error messages point into.
    public var document: ManifestNode
    /// The manifest file and its folder (relative paths resolve against the folder).
    public var file: URL
    public var folder: URL { file.deletingLastPathComponent() }
    /// The files read, the manifest first.
    public var files: [URL]
}

/// A `--set a.b.c=value` override.
public struct ManifestOverride: Sendable, Equatable {
    public var path: String
    public var valueText: String
    public init(path: String, valueText: String) {
        self.path = path
        self.valueText = valueText
    }

    /// Parses `a.b.c=value`.
    public init(_ text: String) throws(ManifestError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ManifestError([ManifestDiagnostic(location: SourceLocation(file: "--set \(text)", line: 0, column: 0), path: "",
                                                    message: "expected key.path=value")])
        }
        self.init(path: String(text[..<equals]), valueText: String(text[text.index(after: equals)...]))
    }
}

public enum ManifestLoader {
    /// Reads `file`, expands includes, applies overrides, decodes and checks everything, and throws
    /// `ManifestError` with every problem found.
    public static func load(file: URL, overrides: [ManifestOverride] = []) throws(ManifestError) -> LoadedManifest {
        var files: [URL] = []
        var document = try expand(file.standardizedFileURL, chain: [], files: &files, displayBase: file.deletingLastPathComponent())
        var diagnostics: [ManifestDiagnostic] = []
        for override in overrides {
            apply(override, to: &document, diagnostics: &diagnostics)
        }
        guard diagnostics.isEmpty else { throw ManifestError(diagnostics) }
        let manifest: Manifest
        do {
            manifest = try decode(document)
        } catch {
            throw ManifestError(error.diagnostics, document: document)
        }
        return LoadedManifest(manifest: manifest, document: document, file: file.standardizedFileURL, files: files)
    }

    /// Decodes text (YAML or JSON) with no includes; `file` names it in messages.
    public static func load(text: String, file: String = "manifest.yaml", overrides: [ManifestOverride] = [])
        throws(ManifestError) -> LoadedManifest {
        var document = try ManifestNode.parse(yaml: text, file: file)
        if document["include"] != nil {
            throw ManifestError([ManifestDiagnostic(location: document.nearestLocation(of: "include"), path: "include",
                                                    message: "includes need a manifest file to resolve against")])
        }
        var diagnostics: [ManifestDiagnostic] = []
        for override in overrides { apply(override, to: &document, diagnostics: &diagnostics) }
        guard diagnostics.isEmpty else { throw ManifestError(diagnostics) }
        let url = URL(fileURLWithPath: file)
        return LoadedManifest(manifest: try decode(document), document: document, file: url, files: [])
    }

    /// Decodes a merged document, collecting every problem.
    public static func decode(_ document: ManifestNode) throws(ManifestError) -> Manifest {
        let reader = ManifestReader()
        let manifest = reader.manifest(document)
        guard reader.diagnostics.isEmpty, let manifest else { throw ManifestError(reader.diagnostics) }
        return manifest
    }

    // MARK: includes

    /// The largest manifest file read (16 MiB).
    static let largestFile = 16 << 20

    static func display(_ url: URL, base: URL) -> String {
        let basePath = base.standardizedFileURL.path + "/"
        return url.path.hasPrefix(basePath) ? String(url.path.dropFirst(basePath.count)) : url.path
    }

    static func expand(_ file: URL, chain: [URL], files: inout [URL], displayBase: URL,
                       includedFrom: (SourceLocation?, String)? = nil) throws(ManifestError) -> ManifestNode {
        let name = display(file, base: displayBase)
        if chain.contains(file) {
            let names = (chain + [file]).map { display($0, base: displayBase) }
            throw ManifestError([ManifestDiagnostic(location: includedFrom?.0, path: "include",
                                                    message: "include cycle: \(names.joined(separator: " → "))")])
        }
        let text: String
        do {
            // A manifest is a small regular file: a device or a pipe (`/dev/zero`) would never end.
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            guard attributes[.type] as? FileAttributeType == .typeRegular, size <= ManifestLoader.largestFile else {
                let what = attributes[.type] as? FileAttributeType == .typeRegular
                    ? "a file of \(size) bytes, larger than the \(ManifestLoader.largestFile) a manifest may have" : "not a regular file"
                throw ManifestError([ManifestDiagnostic(location: includedFrom?.0, path: includedFrom == nil ? "" : "include",
                                                        message: "\(file.path): \(what)")])
            }
            text = try String(contentsOf: file, encoding: .utf8)
        } catch let error as ManifestError {
            throw error
        } catch {
            let message = FileManager.default.fileExists(atPath: file.path) ? "cannot read \(file.path)" : "file \(file.path) not found"
            throw ManifestError([ManifestDiagnostic(location: includedFrom?.0, path: includedFrom == nil ? "" : "include",
                                                    message: message)])
        }
        files.append(file)
        var node = try ManifestNode.parse(yaml: text, file: name)
        guard case .object(var members) = node.value else { return node }
        guard let index = members.firstIndex(where: { $0.key == "include" }) else { return node }
        let include = members.remove(at: index)
        var includes: [ManifestNode] = []
        switch include.value.value {
        case .string: includes = [include.value]
        case .array(let elements): includes = elements
        default:
            throw ManifestError([ManifestDiagnostic(location: include.value.location, path: "include",
                                                    message: "expected a file name or a list of them, found \(include.value.quoted)")])
        }
        var base = ManifestNode(.object([]), location: node.location)
        for entry in includes {
            guard case .string(let path) = entry.value else {
                throw ManifestError([ManifestDiagnostic(location: entry.location, path: "include",
                                                        message: "expected a file name, found \(entry.quoted)")])
            }
            let url = (path.hasPrefix("/") ? URL(fileURLWithPath: path) : file.deletingLastPathComponent().appendingPathComponent(path))
                .standardizedFileURL
            let included = try expand(url, chain: chain + [file], files: &files, displayBase: displayBase,
                                      includedFrom: (entry.location, path))
            base = merge(base, included)
        }
        node.value = .object(members)
        return merge(base, node)
    }

    /// `override` on top of `base`: mappings merge key by key (recursively), anything else replaces.
    public static func merge(_ base: ManifestNode, _ override: ManifestNode) -> ManifestNode {
        guard case .object(var members) = base.value, case .object(let top) = override.value else { return override }
        for member in top {
            if let index = members.firstIndex(where: { $0.key == member.key }) {
                members[index] = ManifestMember(key: member.key, keyLocation: member.keyLocation,
                                                value: merge(members[index].value, member.value))
            } else {
                members.append(member)
            }
        }
        // `zoo` stays first whichever file set it.
        if let index = members.firstIndex(where: { $0.key == "zoo" }), index > 0 { members.insert(members.remove(at: index), at: 0) }
        return ManifestNode(.object(members), location: override.location ?? base.location)
    }

    // MARK: overrides

    static func apply(_ override: ManifestOverride, to document: inout ManifestNode, diagnostics: inout [ManifestDiagnostic]) {
        let origin = "--set \(override.path)=\(override.valueText)"
        let here = SourceLocation(file: origin, line: 0, column: 0)
        guard let components = ManifestNode.components(of: override.path) else {
            diagnostics.append(ManifestDiagnostic(location: here, path: override.path, message: "not a key path (expected e.g. model.head.config.scale)"))
            return
        }
        let value: ManifestNode
        do {
            value = try ManifestNode.parseScalar(override.valueText, file: origin)
        } catch {
            diagnostics.append(ManifestDiagnostic(location: here, path: override.path,
                                                  message: "the value is not valid YAML (\(error.diagnostics.first?.message ?? ""))"))
            return
        }
        if let problem = set(value, at: components[...], in: &document, path: "", location: here) {
            diagnostics.append(ManifestDiagnostic(location: here, path: override.path, message: problem))
        }
    }

    static func set(_ value: ManifestNode, at components: ArraySlice<PathComponent>, in node: inout ManifestNode,
                    path: String, location: SourceLocation) -> String? {
        guard let first = components.first else { node = value; return nil }
        let rest = components.dropFirst()
        switch (first, node.value) {
        case (.key(let key), .object(var members)):
            if let index = members.lastIndex(where: { $0.key == key }) {
                let problem = set(value, at: rest, in: &members[index].value, path: path, location: location)
                node.value = .object(members)
                return problem
            }
            var child = ManifestNode(.object([]), location: location)
            if let problem = set(value, at: rest, in: &child, path: path, location: location) { return problem }
            members.append(ManifestMember(key: key, keyLocation: location, value: child))
            node.value = .object(members)
            return nil
        case (.key, .null):
            node = ManifestNode(.object([]), location: location)
            return set(value, at: components, in: &node, path: path, location: location)
        case (.index(let i), .array(var elements)):
            guard i < elements.count else { return "index \(i) is past the end of a list of \(elements.count)" }
            let problem = set(value, at: rest, in: &elements[i], path: path, location: location)
            node.value = .array(elements)
            return problem
        case (.key(let key), .array) where Int(key) != nil:
            // `relations.0.module` means `relations[0].module`.
            return set(value, at: [.index(Int(key)!)] + rest, in: &node, path: path, location: location)
        case (.key(let key), _):
            return "cannot set key \(key) inside a \(node.value.typeName)"
        case (.index(let i), _):
            return "cannot index [\(i)] into a \(node.value.typeName)"
        }
    }

    public typealias PathComponent = ManifestNode.PathComponent
}
