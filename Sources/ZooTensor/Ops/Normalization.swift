/// Batch and layer normalisation with fused derivative rules (one pass each way instead of a
/// dozen composite ops, and no intermediate tensors per element).
extension Tensor {
    /// Batch normalisation over `[N, C]`, `[N, C, L]` or `[N, C, H, W]`, per channel `C`.
    ///
    /// In training the batch statistics normalise the input and the running statistics are updated
    /// in place as PyTorch does: `running = (1 − momentum)·running + momentum·statistic`, with the
    /// unbiased variance. In evaluation the running statistics normalise.
    public static func batchNorm(
        _ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVariance: Tensor?,
        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5
    ) -> Tensor {
        batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                  training: training, momentum: momentum, epsilon: epsilon, relu: false)
    }

    /// `batchNorm(…).relu()` in one pass each way, with one op's memory traffic.
    public static func batchNormReLU(
        _ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVariance: Tensor?,
        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5
    ) -> Tensor {
        batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                  training: training, momentum: momentum, epsilon: epsilon, relu: true)
    }

    /// Per channel: the statistics in two vectorised passes, then `y = x·a + b` (clamped at 0 with
    /// `relu`) in a third. The derivative rule recomputes x̂ from x and the saved mean and 1/σ
    /// rather than keeping an x̂ tensor.
    private static func batchNorm(
        _ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVariance: Tensor?,
        training: Bool, momentum: Float, epsilon: Float, relu: Bool
    ) -> Tensor {
        precondition(x.rank >= 2, "[batch norm] expects [N, C, …], got \(x.shape)")
        let (batch, channels) = (x.shape[0], x.shape[1])
        let spatial = x.shape[2...].reduce(1, *)
        let reduced = batch * spatial
        precondition(!training || reduced > 1, "[batch norm] needs more than one value per channel in training, got \(x.shape)")
        for statistic in [runningMean, runningVariance, weight, bias] {
            if let statistic { precondition(statistic.count == channels, "[batch norm] \(statistic.shape) for \(channels) channels") }
        }
        let usesBatchStatistics = training || runningMean == nil || runningVariance == nil
        let result = Tensor.uninitialized(x.shape)
        let statistics = TensorStorage(count: 2 * channels)   // mean, then 1/σ, per channel
        let p = Pointers(x: x, out: result, weight: weight, bias: bias)
        let running = UncheckedSendable((runningMean?.storage.pointer, runningVariance?.storage.pointer))
        let saved = UncheckedSendable(statistics.pointer)
        let grain = Swift.max(1, 8192 / Swift.max(reduced, 1))
        OpTimer.measure(.normalization) {
            Threading.parallelFor(channels, grain: grain) { range in
                for c in range {
                    var mean: Float = 0, variance: Float = 0
                    if usesBatchStatistics {
                        for n in 0..<batch { mean += VectorKernels.sum(p.x + (n * channels + c) * spatial, spatial) }
                        mean /= Float(reduced)
                        for n in 0..<batch {
                            variance += VectorKernels.squaredDeviations(p.x + (n * channels + c) * spatial, spatial, mean: mean)
                        }
                        variance /= Float(reduced)
                        if training, let runningMean = running.value.0, let runningVariance = running.value.1 {
                            let unbiased = variance * Float(reduced) / Float(reduced - 1)
                            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean
                            runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * unbiased
                        }
                    } else {
                        (mean, variance) = (running.value.0![c], running.value.1![c])
                    }
                    let inverse = 1 / (variance + epsilon).squareRoot()
                    (saved.value[c], saved.value[channels + c]) = (mean, inverse)
                    let a = (p.weight?[c] ?? 1) * inverse
                    let b = (p.bias?[c] ?? 0) - mean * a
                    for n in 0..<batch {
                        let offset = (n * channels + c) * spatial
                        VectorKernels.affine(p.x + offset, spatial, a: a, b: b, relu: relu, into: p.out + offset)
                    }
                }
            }
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let output = result.storage   // not the tensor: its node holds this rule
        return record(result, op: relu ? "batch norm + relu" : "batch norm", inputs: inputs) { g, needs in
            let gradInput = needs[0] ? Tensor.uninitialized(x.shape) : nil
            let gradWeight = weight != nil ? Tensor.uninitialized([channels]) : nil
            let gradBias = bias != nil ? Tensor.uninitialized([channels]) : nil
            // With the ReLU, the upstream gradient masked by y > 0 (in the input gradient's buffer).
            let masked = relu ? (gradInput?.storage ?? TensorStorage(count: x.count)) : nil
            let gp = UncheckedSendable(UnsafePointer(masked?.pointer ?? g.storage.pointer))
            let upstream = UncheckedSendable(g.storage.pointer), y = UncheckedSendable(output.pointer)
            let outputs = UncheckedSendable((gradInput?.storage.pointer, gradWeight?.storage.pointer, gradBias?.storage.pointer))
            OpTimer.measure(.normalization) {
                Threading.parallelFor(channels, grain: grain) { range in
                    for c in range {
                        let (mean, inverse) = (saved.value[c], saved.value[channels + c])
                        var sumG: Float = 0, sumGX: Float = 0
                        for n in 0..<batch {
                            let offset = (n * channels + c) * spatial
                            if relu {
                                VectorKernels.reluGradient(upstream.value + offset, y.value + offset, spatial,
                                                           into: UnsafeMutablePointer(mutating: gp.value) + offset)
                            }
                            let (sg, sgx) = VectorKernels.sums(gp.value + offset, p.x + offset, spatial, mean: mean)
                            sumG += sg
                            sumGX += sgx
                        }
                        sumGX *= inverse   // Σ g·x̂
                        outputs.value.1?[c] = sumGX
                        outputs.value.2?[c] = sumG
                        guard let gradInput = outputs.value.0 else { continue }
                        // scale·(g − mean(g) − x̂·mean(g·x̂)) with x̂ = (x − mean)/σ, as a·g + b·x + c.
                        let scale = (p.weight?[c] ?? 1) * inverse
                        let meanG = usesBatchStatistics ? sumG / Float(reduced) : 0
                        let meanGX = usesBatchStatistics ? sumGX / Float(reduced) : 0
                        let b = -scale * inverse * meanGX
                        let constant = scale * (mean * inverse * meanGX - meanG)
                        for n in 0..<batch {
                            let offset = (n * channels + c) * spatial
                            VectorKernels.combine(gp.value + offset, p.x + offset, spatial, a: scale, b: b, c: constant,
                                                  into: gradInput + offset)
                        }
                    }
                }
            }
            withExtendedLifetime((statistics, masked, output, g)) {}   // the raw pointers above point into these
            return [gradInput] + (gradWeight.map { [$0] } ?? []) + (gradBias.map { [$0] } ?? [])
        }
    }

    /// Layer normalisation over the last `normalizedDimensions` axes, as `F.layer_norm`.
    ///
    /// Shape: x `[…, D]` with weight and bias of the normalised shape.
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, normalizedDimensions: Int = 1,
                                 epsilon: Float = 1e-5) -> Tensor {
        let width = x.shape.suffix(normalizedDimensions).reduce(1, *)
        let rows = x.count / Swift.max(width, 1)
        let result = Tensor.uninitialized(x.shape)
        let normalized = Tensor.uninitialized(x.shape)
        var inverseDeviation = [Float](repeating: 0, count: rows)
        let xp = UncheckedSendable(x.storage.pointer), out = UncheckedSendable(result.storage.pointer)
        let saved = UncheckedSendable(normalized.storage.pointer)
        let w = UncheckedSendable(weight?.storage.pointer), b = UncheckedSendable(bias?.storage.pointer)
        OpTimer.measure(.normalization) {
            inverseDeviation.withUnsafeMutableBufferPointer { deviations in
                let deviations = UncheckedSendable(deviations)
                Threading.parallelFor(rows, grain: Swift.max(1, 16384 / Swift.max(width, 1))) { range in
                    for row in range {
                        let source = xp.value + row * width, target = out.value + row * width
                        let xhat = saved.value + row * width
                        var mean: Float = 0
                        for k in 0..<width { mean += source[k] }
                        mean /= Float(width)
                        var variance: Float = 0
                        for k in 0..<width { let d = source[k] - mean; variance += d * d }
                        let s = 1 / (variance / Float(width) + epsilon).squareRoot()
                        deviations.value[row] = s
                        for k in 0..<width {
                            let value = (source[k] - mean) * s
                            xhat[k] = value
                            target[k] = value * (w.value?[k] ?? 1) + (b.value?[k] ?? 0)
                        }
                    }
                }
            }
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return record(result, op: "layer norm", inputs: inputs) { g, needs in
            OpTimer.measure(.normalization) {
                var gradients: [Tensor?] = []
                let gp = g.storage.pointer, xhat = normalized.storage.pointer
                if needs[0] {
                    let grad = Tensor.uninitialized(x.shape)
                    for row in 0..<rows {
                        let gr = gp + row * width, xr = xhat + row * width, out = grad.storage.pointer + row * width
                        var meanG: Float = 0, meanGX: Float = 0
                        for k in 0..<width {
                            let gw = gr[k] * (weight?.storage.pointer[k] ?? 1)
                            meanG += gw
                            meanGX += gw * xr[k]
                        }
                        meanG /= Float(width)
                        meanGX /= Float(width)
                        let s = inverseDeviation[row]
                        for k in 0..<width {
                            let gw = gr[k] * (weight?.storage.pointer[k] ?? 1)
                            out[k] = s * (gw - meanG - xr[k] * meanGX)
                        }
                    }
                    gradients.append(grad)
                } else {
                    gradients.append(nil)
                }
                if let weight {
                    let grad = Tensor.zeros(weight.shape)
                    for row in 0..<rows {
                        for k in 0..<width { grad.storage.pointer[k] += gp[row * width + k] * xhat[row * width + k] }
                    }
                    gradients.append(grad)
                }
                if let bias {
                    let grad = Tensor.zeros(bias.shape)
                    for row in 0..<rows { for k in 0..<width { grad.storage.pointer[k] += gp[row * width + k] } }
                    gradients.append(grad)
                }
                return gradients
            }
        }
    }
}

/// Raw pointers of a batch normalisation's tensors, for its parallel loops (each thread writes
/// only its own channels).
private struct Pointers: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let weight: UnsafeMutablePointer<Float>?
    let bias: UnsafeMutablePointer<Float>?

    init(x: Tensor, out: Tensor, weight: Tensor?, bias: Tensor?) {
        (self.x, self.out) = (x.storage.pointer, out.storage.pointer)
        (self.weight, self.bias) = (weight?.storage.pointer, bias?.storage.pointer)
    }
}
