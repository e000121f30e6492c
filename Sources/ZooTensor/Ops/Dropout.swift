/// Dropout as PyTorch's: in training, zero each element with probability `probability` and scale
/// the survivors by `1 / (1 − probability)`; the identity otherwise.
///
/// The mask is drawn in blocks of `dropoutBlock` elements, each from its own generator seeded by
/// one draw of `generator`, so that the blocks fill in parallel and the mask depends on the
/// generator alone, never on the thread count.
extension Tensor {
    public static let dropoutBlock = 1 << 14

    public func dropout(probability: Float, training: Bool, generator: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "[dropout] probability \(probability) outside [0, 1]")
        guard training, probability > 0 else { return self }
        if probability == 1 { return self * 0 }
        let scale = 1 / (1 - probability)
        let mask = Tensor.uninitialized(shape)
        let blocks = (count + Tensor.dropoutBlock - 1) / Tensor.dropoutBlock
        let seeds = (0..<blocks).map { _ in generator.next() }
        let (target, count) = (UncheckedSendable(mask.storage.pointer), count)
        Threading.parallelFor(blocks, grain: 1) { range in
            for block in range {
                var blockGenerator = RandomGenerator(seed: seeds[block])
                let start = block * Tensor.dropoutBlock, end = Swift.min(count, start + Tensor.dropoutBlock)
                for index in start..<end {
                    target.value[index] = blockGenerator.nextUniform() < probability ? 0 : scale
                }
            }
        }
        return self * mask
    }
}
