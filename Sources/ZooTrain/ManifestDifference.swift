import Foundation

/// Where two JSON documents differ, as dotted key paths (`training.seed`, `model.relations.0.config.dim`).
enum ManifestDifference {
    static func paths(_ a: String, _ b: String) -> [String] {
        guard let left = try? JSONSerialization.jsonObject(with: Data(a.utf8), options: [.fragmentsAllowed]),
              let right = try? JSONSerialization.jsonObject(with: Data(b.utf8), options: [.fragmentsAllowed]) else {
            return a == b ? [] : ["(the whole manifest)"]
        }
        var found: [String] = []
        compare(left, right, path: "", into: &found)
        return found
    }

    private static func compare(_ a: Any, _ b: Any, path: String, into found: inout [String]) {
        func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            for key in Set(a.keys).union(b.keys).sorted() {
                guard let x = a[key], let y = b[key] else { found.append(child(key)); continue }
                compare(x, y, path: child(key), into: &found)
            }
        case let (a as [Any], b as [Any]) where a.count == b.count:
            for (index, (x, y)) in zip(a, b).enumerated() { compare(x, y, path: child(String(index)), into: &found) }
        default:
            if "\(a)" != "\(b)" { found.append(path.isEmpty ? "(the whole manifest)" : path) }
        }
    }
}
