import ZooTensor

extension SafeTensorsArchive {
    /// Opens `Tests/Fixtures/<name>`.
    public static func fixture(_ name: String) throws -> SafeTensorsArchive {
        try SafeTensorsArchive(contentsOf: Fixtures.url(name))
    }

    /// The float tensors whose names start with `prefix`, keyed by the rest of the name.
    public func tensors(withPrefix prefix: String) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, tensor) in tensors where name.hasPrefix(prefix) {
            result[String(name.dropFirst(prefix.count))] = tensor
        }
        return result
    }

    /// An integer tensor as `[Int]` (labels).
    public func labels(_ name: String) throws -> [Int] {
        try indexTensor(name).values.map { Int($0) }
    }
}
