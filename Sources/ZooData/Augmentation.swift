import ZooTensor

/// Seeded augmentations of an image batch `[N, C, H, W]`, in place of the usual torchvision ones.
public struct Augmentation: Sendable {
    /// Pad by this many zeros on every side, then crop back to the original size at a random offset.
    public var cropPadding: Int
    public var horizontalFlip: Bool
    /// Per-channel normalisation `(x − mean) / std`, applied last.
    public var mean: [Float]?
    public var standardDeviation: [Float]?

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false, mean: [Float]? = nil, standardDeviation: [Float]? = nil) {
        (self.cropPadding, self.horizontalFlip, self.mean, self.standardDeviation) = (cropPadding, horizontalFlip, mean, standardDeviation)
    }

    /// A new batch; the random choices come from `generator` in sample order.
    public func apply(_ batch: Tensor, generator: inout RandomGenerator) -> Tensor {
        precondition(batch.rank == 4, "[augmentation] expects [N, C, H, W], got \(batch.shape)")
        let (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let result = Tensor.uninitialized(batch.shape)
        let source = batch.storage.pointer, target = result.storage.pointer
        let pad = cropPadding
        for sample in 0..<n {
            let dy = pad > 0 ? Int(generator.next() % UInt64(2 * pad + 1)) - pad : 0
            let dx = pad > 0 ? Int(generator.next() % UInt64(2 * pad + 1)) - pad : 0
            let flip = horizontalFlip && generator.nextUniform() < 0.5
            for channel in 0..<c {
                let plane = (sample * c + channel) * h * w
                let shift = mean.map { $0[channel] } ?? 0
                let scale = standardDeviation.map { 1 / $0[channel] } ?? 1
                for y in 0..<h {
                    let sy = y + dy
                    for x in 0..<w {
                        let sx = (flip ? w - 1 - x : x) + dx
                        let value = sy >= 0 && sy < h && sx >= 0 && sx < w ? source[plane + sy * w + sx] : 0
                        target[plane + y * w + x] = (value - shift) * scale
                    }
                }
            }
        }
        return result
    }
}
