import Foundation
import Yams
import ZooValue

/// Where a value was written: a file, a 1-based line and column. Values given on the command line
/// (`--set`) name the option instead of a file and have line 0.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, or just the file (or option) when there is no line.
    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// A value of a manifest as it was written, with where each part of it was written.
public indirect enum ManifestValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([ManifestNode])
    case object([ManifestMember])

    /// The type name as messages use it (JSON Schema's spelling).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "list"
        case .object: "mapping"
        }
    }

    public static func == (lhs: ManifestValue, rhs: ManifestValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.integer(let a), .number(let b)), (.number(let b), .integer(let a)): Double(a) == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            // Mappings compare as sets of members: order does not matter.
            a.count == b.count && a.allSatisfy { member in b.contains { $0.key == member.key && $0.value == member.value } }
        default: false
        }
    }
}

/// One `key: value` of a mapping.
public struct ManifestMember: Sendable, Equatable {
    public var key: String
    public var keyLocation: SourceLocation?
    public var value: ManifestNode

    public init(key: String, keyLocation: SourceLocation? = nil, value: ManifestNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }

    /// Members compare by key and value; where they were written does not matter.
    public static func == (lhs: ManifestMember, rhs: ManifestMember) -> Bool { lhs.key == rhs.key && lhs.value == rhs.value }
}

/// A manifest value and where it was written. Equality ignores locations.
public struct ManifestNode: Sendable, Equatable, CustomStringConvertible {
    public var value: ManifestValue
    public var location: SourceLocation?

    public init(_ value: ManifestValue, location: SourceLocation? = nil) {
        self.value = value
        self.location = location
    }

    public static func == (lhs: ManifestNode, rhs: ManifestNode) -> Bool { lhs.value == rhs.value }

    /// The member `key` of a mapping.
    public subscript(key: String) -> ManifestNode? {
        guard case .object(let members) = value else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var members: [ManifestMember]? {
        if case .object(let members) = value { return members }
        return nil
    }

    /// Compact JSON, as messages quote values (shortened past 40 characters by `quoted`).
    public var description: String { jsonText(pretty: false) }

    /// The value as messages quote it: JSON text, shortened past 40 characters.
    public var quoted: String {
        let text = jsonText(pretty: false, spaced: true)
        return text.count > 40 ? String(text.prefix(37)) + "..." : text
    }

    // MARK: paths

    /// Splits `a.b[2].c` into `["a", "b", 2, "c"]` components; nil when malformed.
    public static func components(of path: String) -> [PathComponent]? {
        var result: [PathComponent] = []
        var current = ""
        var index = path.startIndex
        while index < path.endIndex {
            let character = path[index]
            if character == "." {
                if !current.isEmpty { result.append(.key(current)); current = "" } else if result.isEmpty { return nil }
            } else if character == "[" {
                if !current.isEmpty { result.append(.key(current)); current = "" }
                guard let close = path[index...].firstIndex(of: "]"), let number = Int(path[path.index(after: index)..<close]),
                      number >= 0 else { return nil }
                result.append(.index(number))
                index = close
            } else {
                current.append(character)
            }
            index = path.index(after: index)
        }
        if !current.isEmpty { result.append(.key(current)) }
        return result.isEmpty ? nil : result
    }

    public enum PathComponent: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    /// The node at a key path (`model.relations[0].config.heads`), if it exists.
    public func node(at path: String) -> ManifestNode? {
        guard let components = ManifestNode.components(of: path) else { return nil }
        var node = self
        for component in components {
            switch (component, node.value) {
            case (.key(let key), .object): guard let next = node[key] else { return nil }; node = next
            case (.index(let i), .array(let elements)) where i < elements.count: node = elements[i]
            default: return nil
            }
        }
        return node
    }

    /// Where the value at `path` was written; for a missing key, where the key's nearest existing
    /// parent was written (a key's own location when it names a member).
    public func nearestLocation(of path: String) -> SourceLocation? {
        guard let components = ManifestNode.components(of: path) else { return location }
        var node = self
        var best = location
        for component in components {
            switch (component, node.value) {
            case (.key(let key), .object(let members)):
                guard let member = members.last(where: { $0.key == key }) else { return best }
                node = member.value
                best = node.location ?? member.keyLocation ?? best
            case (.index(let i), .array(let elements)) where i < elements.count:
                node = elements[i]
                best = node.location ?? best
            default: return best
            }
        }
        return best
    }

    // MARK: writing

    /// JSON text; `pretty` indents by two spaces (`JSONValue.jsonText(pretty:spaced:)`).
    public func jsonText(pretty: Bool, spaced: Bool = false) -> String {
        JSONValue(self).jsonText(pretty: pretty, spaced: spaced)
    }

    /// The value as a Yams node (for YAML output).
    public var yamlNode: Node {
        switch value {
        case .null: Node("null", Tag(.null))
        case .bool(let b): Node(b ? "true" : "false", Tag(.bool))
        case .integer(let i): Node(String(i), Tag(.int))
        case .number(let d): Node(d.isFinite ? "\(d)" : ".nan", Tag(.float))
        case .string(let s):
            // Strings that would read back as another type are quoted.
            (try? ManifestNode.parseScalar(s, file: "")).map { $0.value == .string(s) } ?? false
                ? Node(s, Tag(.str)) : Node(s, Tag(.str), .doubleQuoted)
        case .array(let elements):
            // Lists of scalars on one line: [500, 477, 455].
            elements.allSatisfy({ if case .array = $0.value { false } else if case .object = $0.value { false } else { true } })
                ? Node(elements.map(\.yamlNode), Tag(.seq), .flow) : Node(elements.map(\.yamlNode))
        case .object(let members): Node(members.map { (Node($0.key), $0.value.yamlNode) })
        }
    }

    /// YAML text.
    public func yamlText() throws -> String { try Yams.serialize(node: yamlNode, indent: 2, width: -1) }

    // MARK: reading

    /// Parses YAML (JSON is YAML too); `file` names the text in locations. Throws `ManifestError`.
    public static func parse(yaml text: String, file: String) throws(ManifestError) -> ManifestNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ManifestError([ManifestNode.diagnostic(error, file: file)])
        } catch {
            throw ManifestError([ManifestDiagnostic(location: SourceLocation(file: file, line: 0, column: 0), path: "",
                                                    message: "not valid YAML: \(error)")])
        }
        guard let root else { return ManifestNode(.null, location: SourceLocation(file: file, line: 1, column: 1)) }
        var diagnostics: [ManifestDiagnostic] = []
        let node = convert(root, file: file, path: "", diagnostics: &diagnostics)
        guard diagnostics.isEmpty else { throw ManifestError(diagnostics) }
        return node
    }

    /// Parses a YAML scalar (or flow value) given on the command line.
    public static func parseScalar(_ text: String, file: String) throws(ManifestError) -> ManifestNode {
        var node = try parse(yaml: text, file: file)
        node.relocate(SourceLocation(file: file, line: 0, column: 0))
        return node
    }

    mutating func relocate(_ location: SourceLocation) {
        self.location = location
        switch value {
        case .array(var elements):
            for i in elements.indices { elements[i].relocate(location) }
            value = .array(elements)
        case .object(var members):
            for i in members.indices { members[i].keyLocation = location; members[i].value.relocate(location) }
            value = .object(members)
        default: break
        }
    }

    static func diagnostic(_ error: YamlError, file: String) -> ManifestDiagnostic {
        func at(_ mark: Mark, _ problem: String) -> ManifestDiagnostic {
            ManifestDiagnostic(location: SourceLocation(file: file, line: mark.line, column: mark.column), path: "",
                               message: "not valid YAML: \(problem)")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return at(mark, problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return at(context.mark, "key \(duplicates.joined(separator: ", ")) appears more than once")
        default:
            return ManifestDiagnostic(location: SourceLocation(file: file, line: 0, column: 0), path: "",
                                      message: "not valid YAML: \(error)")
        }
    }

    static func convert(_ node: Node, file: String, path: String, diagnostics: inout [ManifestDiagnostic]) -> ManifestNode {
        let location = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return ManifestNode(.null, location: location)
            case .bool: return ManifestNode(node.bool.map(ManifestValue.bool) ?? .string(text), location: location)
            case .int:
                if let value = Int64(text.replacingOccurrences(of: "_", with: "")) { return ManifestNode(.integer(value), location: location) }
                if let value = node.int { return ManifestNode(.integer(Int64(value)), location: location) }
                return ManifestNode(node.float.map(ManifestValue.number) ?? .string(text), location: location)
            case .float: return ManifestNode(node.float.map(ManifestValue.number) ?? .string(text), location: location)
            default: return ManifestNode(.string(text), location: location)
            }
        case .sequence(let sequence):
            return ManifestNode(.array(sequence.enumerated().map { index, element in
                convert(element, file: file, path: "\(path)[\(index)]", diagnostics: &diagnostics)
            }), location: location)
        case .mapping(let mapping):
            var members: [ManifestMember] = []
            for (key, value) in mapping {
                let keyLocation = key.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
                guard case .scalar(let scalar) = key else {
                    diagnostics.append(ManifestDiagnostic(location: keyLocation, path: path, message: "expected a plain key, found a \(key.sequence != nil ? "list" : "mapping")"))
                    continue
                }
                let name = scalar.string
                let memberPath = path.isEmpty ? name : "\(path).\(name)"
                if members.contains(where: { $0.key == name }) {
                    diagnostics.append(ManifestDiagnostic(location: keyLocation, path: memberPath, message: "key appears more than once"))
                    continue
                }
                members.append(ManifestMember(key: name, keyLocation: keyLocation,
                                              value: convert(value, file: file, path: memberPath, diagnostics: &diagnostics)))
            }
            return ManifestNode(.object(members), location: location)
        case .alias:
            diagnostics.append(ManifestDiagnostic(location: location, path: path, message: "YAML aliases are not supported here; write the value out"))
            return ManifestNode(.null, location: location)
        }
    }
}

/// One problem of a manifest: where, which key, and what was expected and found.
public struct ManifestDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    /// `model.relations[0].config.heads`; empty for the document itself.
    public var path: String
    public var message: String

    public init(location: SourceLocation?, path: String, message: String) {
        self.location = location
        self.path = path
        self.message = message
    }

    /// `recipe.yaml:12:7: model.head.module: expected a string, found 3`.
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        return path.isEmpty ? "\(place)\(message)" : "\(place)\(path): \(message)"
    }
}

/// Every problem of a manifest that failed to load or validate.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var diagnostics: [ManifestDiagnostic]
    /// The document (includes expanded, overrides applied) when it was read but did not decode:
    /// later checks can still look at the parts that are there.
    public var document: ManifestNode?
    public init(_ diagnostics: [ManifestDiagnostic], document: ManifestNode? = nil) {
        self.diagnostics = diagnostics
        self.document = document
    }
    /// One problem a line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
