import ZooTensor

/// A parameter's optimiser state refused by `setState`: the key, what was expected and what was found.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Saving and restoring an optimiser's per-parameter state, under PyTorch's names
/// (`momentum_buffer` for SGD; `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` for AdamW), so a
/// checkpoint can resume training exactly where it stopped.
public protocol StatefulOptimizer: Optimizer {
    /// Copies of `parameter`'s state; empty before its first update (or for a parameter the
    /// optimiser does not hold).
    func state(of parameter: Tensor) -> [String: Tensor]
    /// Replaces `parameter`'s state with copies of `state` (empty: as before the first update).
    /// Throws, changing nothing, for a parameter the optimiser does not hold, an unknown or
    /// missing key, or a tensor of the wrong size.
    func setState(_ state: [String: Tensor], of parameter: Tensor) throws(OptimizerStateError)
}

extension GroupedParameters {
    /// The group and index of `parameter`, or nil.
    func position(of parameter: Tensor) -> (group: Int, index: Int)? {
        for (groupIndex, group) in groups.enumerated() {
            if let index = group.parameters.firstIndex(where: { $0 === parameter }) { return (groupIndex, index) }
        }
        return nil
    }

    /// The position of `parameter`, or an error naming the optimiser.
    func requirePosition(of parameter: Tensor, optimizer: String) throws(OptimizerStateError) -> (group: Int, index: Int) {
        guard let position = position(of: parameter) else {
            throw OptimizerStateError("[\(optimizer)] the parameter of shape \(parameter.shape) is not in any of its groups")
        }
        return position
    }

    /// Checks that `state` holds exactly `keys` (or is empty).
    static func checkKeys(_ state: [String: Tensor], _ keys: [String], parameter: Tensor,
                          optimizer: String) throws(OptimizerStateError) {
        guard !state.isEmpty else { return }
        let unknown = Set(state.keys).subtracting(keys).sorted()
        guard unknown.isEmpty else {
            throw OptimizerStateError("[\(optimizer)] unknown state \(unknown.joined(separator: ", ")) for a parameter of shape "
                                      + "\(parameter.shape); expected \(keys.joined(separator: ", "))")
        }
        let missing = keys.filter { state[$0] == nil }
        guard missing.isEmpty else {
            throw OptimizerStateError("[\(optimizer)] missing state \(missing.joined(separator: ", ")) for a parameter of shape \(parameter.shape)")
        }
    }
}

extension StateBuffer {
    /// A tensor copy of the buffer, in `shape`.
    func tensor(shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(start: pointer, count: count)))
    }

    /// A buffer holding `tensor`'s values, which must be as many as `parameter`'s.
    static func copying(_ tensor: Tensor, key: String, parameter: Tensor, optimizer: String) throws(OptimizerStateError) -> StateBuffer {
        guard tensor.count == parameter.count else {
            throw OptimizerStateError("[\(optimizer)] \(key) of shape \(tensor.shape) for a parameter of shape \(parameter.shape)")
        }
        let buffer = StateBuffer(count: parameter.count)
        tensor.withScalars { values in
            if let base = values.baseAddress { buffer.pointer.update(from: base, count: values.count) }
        }
        return buffer
    }
}
