import ZooValue

/// Where two JSON documents differ, as dotted key paths (`training.seed`, `model.relations.0.config.dim`),
/// compared as JSON values: `2` and `2.0` are the same number, members in another order the same object.
enum ManifestDifference {
    static func paths(_ a: String, _ b: String) -> [String] {
        guard let left = try? JSONValue.parse(a), let right = try? JSONValue.parse(b) else {
            return a == b ? [] : ["(the whole manifest)"]
        }
        var found: [String] = []
        compare(left, right, path: "", into: &found)
        return found
    }

    private static func compare(_ a: JSONValue, _ b: JSONValue, path: String, into found: inout [String]) {
        func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in Set(x.map(\.key)).union(y.map(\.key)).sorted() {
                guard let left = a[key], let right = b[key] else { found.append(child(key)); continue }
                compare(left, right, path: child(key), into: &found)
            }
        case (.array(let x), .array(let y)) where x.count == y.count:
            for (index, (left, right)) in zip(x, y).enumerated() { compare(left, right, path: child(String(index)), into: &found) }
        default:
            if a != b { found.append(path.isEmpty ? "(the whole manifest)" : path) }
        }
    }
}
