/// Dropout as PyTorch's: in training, zero each element with probability `probability` and scale
/// the survivors by `1 / (1 − probability)`; the identity otherwise.
extension Tensor {
    public func dropout(probability: Float, training: Bool, generator: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "[dropout] probability \(probability) outside [0, 1]")
        guard training, probability > 0 else { return self }
        if probability == 1 { return self * 0 }
        let scale = 1 / (1 - probability)
        let mask = Tensor.uninitialized(shape)
        for index in 0..<count {
            mask.storage.pointer[index] = generator.nextUniform() < probability ? 0 : scale
        }
        return self * mask
    }
}
