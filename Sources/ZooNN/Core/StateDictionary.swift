import ZooTensor

/// What went wrong loading a `state_dict`: keys listed by name.
public struct StateDictionaryError: Error, Equatable, CustomStringConvertible {
    public var missing: [String]
    public var unexpected: [String]
    /// Keys whose shapes differ: (key, expected, found).
    public var mismatched: [ShapeMismatch]

    public struct ShapeMismatch: Equatable, Sendable {
        public var key: String
        public var expected: [Int]
        public var found: [Int]
    }

    public var description: String {
        var lines: [String] = []
        if !missing.isEmpty { lines.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { lines.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        for item in mismatched {
            lines.append("shape mismatch for \(item.key): expected \(item.expected), found \(item.found)")
        }
        return lines.joined(separator: "; ")
    }
}

extension Module {
    /// Copies values into this module's parameters and buffers in place, as PyTorch's
    /// `load_state_dict`. Nothing is copied unless every key fits.
    ///
    /// - Parameter strict: when true, missing and unexpected keys are errors; shape mismatches
    ///   always are. `num_batches_tracked` keys are accepted and ignored either way when absent here.
    public func loadStateDictionary(_ values: [String: Tensor], strict: Bool = true) throws {
        let own = namedParameters() + namedBuffers()
        let ownKeys = Set(own.map(\.0))
        var error = StateDictionaryError(missing: [], unexpected: [], mismatched: [])
        for (key, tensor) in own {
            guard let source = values[key] else {
                if strict && !key.hasSuffix("num_batches_tracked") { error.missing.append(key) }
                continue
            }
            if source.shape != tensor.shape {
                error.mismatched.append(.init(key: key, expected: tensor.shape, found: source.shape))
            }
        }
        if strict {
            error.unexpected = values.keys.filter { !ownKeys.contains($0) && !$0.hasSuffix("num_batches_tracked") }.sorted()
        }
        guard error.missing.isEmpty && error.unexpected.isEmpty && error.mismatched.isEmpty else { throw error }
        for (key, tensor) in own {
            if let source = values[key] { tensor.assign(source) }
        }
    }
}
