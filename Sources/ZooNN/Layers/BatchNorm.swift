import ZooTensor

/// Batch normalisation per channel, as `nn.BatchNorm1d` / `nn.BatchNorm2d` (the same computation
/// over `[N, C]`, `[N, C, L]` or `[N, C, H, W]`).
///
/// Parameters `weight`, `bias`; buffers `running_mean`, `running_var`, `num_batches_tracked`.
public final class BatchNorm: Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let runningMean: Tensor
    public let runningVariance: Tensor
    /// Training forwards seen (PyTorch keeps it as int64; here a float scalar).
    public let batchesTracked: Tensor
    public let momentum: Float
    public let epsilon: Float

    public init(_ features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        weight = affine ? Tensor.ones([features], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([features], requiresGrad: true) : nil
        runningMean = Tensor.zeros([features])
        runningVariance = Tensor.ones([features])
        batchesTracked = Tensor.zeros([])
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public override var namedLocalParameters: [(String, Tensor)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public override var namedLocalBuffers: [(String, Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVariance), ("num_batches_tracked", batchesTracked)]
    }

    public override func forward(_ input: Tensor) -> Tensor {
        if isTraining { batchesTracked.withMutableScalars { $0[0] += 1 } }
        return Tensor.batchNorm(input, weight: weight, bias: bias, runningMean: runningMean,
                                runningVariance: runningVariance, training: isTraining,
                                momentum: momentum, epsilon: epsilon)
    }

    /// `forward(input).relu()` as one fused op (the same values and gradients, one pass less).
    public func forwardReLU(_ input: Tensor) -> Tensor {
        if isTraining { batchesTracked.withMutableScalars { $0[0] += 1 } }
        return Tensor.batchNormReLU(input, weight: weight, bias: bias, runningMean: runningMean,
                                    runningVariance: runningVariance, training: isTraining,
                                    momentum: momentum, epsilon: epsilon)
    }

    /// In evaluation, this layer as the per-channel `x·scale + shift` it computes, for a convolution
    /// to apply as it writes its output (with `residual` added, then `relu`).
    public func inferenceEpilogue(residual: Tensor? = nil, relu: Bool) -> ConvolutionEpilogue {
        precondition(!isTraining, "[BatchNorm] folds into an epilogue only in evaluation")
        var scale = [Float](repeating: 0, count: runningMean.count), shift = scale
        for c in scale.indices {
            let inverse = 1 / (runningVariance.storage.pointer[c] + epsilon).squareRoot()
            scale[c] = (weight?.storage.pointer[c] ?? 1) * inverse
            shift[c] = (bias?.storage.pointer[c] ?? 0) - runningMean.storage.pointer[c] * scale[c]
        }
        return ConvolutionEpilogue(scale: scale, shift: shift, residual: residual, relu: relu)
    }
}

/// `nn.BatchNorm1d`'s name for the same layer.
public typealias BatchNorm1d = BatchNorm
/// `nn.BatchNorm2d`'s name for the same layer.
public typealias BatchNorm2d = BatchNorm
