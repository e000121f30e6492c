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
        precondition(x.rank >= 2, "[batch norm] expects [N, C, …], got \(x.shape)")
        let (batch, channels) = (x.shape[0], x.shape[1])
        let spatial = x.shape[2...].reduce(1, *)
        let reduced = batch * spatial
        precondition(!training || reduced > 1, "[batch norm] needs more than one value per channel in training, got \(x.shape)")
        let mean = [Float](unsafeUninitializedCapacity: channels) { buffer, count in
            count = channels
            let p = x.storage.pointer
            for c in 0..<channels {
                if !training, let runningMean { buffer[c] = runningMean.storage.pointer[c]; continue }
                var total: Float = 0
                for n in 0..<batch { let base = p + (n * channels + c) * spatial; for s in 0..<spatial { total += base[s] } }
                buffer[c] = total / Float(reduced)
            }
        }
        let inverseDeviation = [Float](unsafeUninitializedCapacity: channels) { buffer, count in
            count = channels
            let p = x.storage.pointer
            for c in 0..<channels {
                var variance: Float
                if !training, let runningVariance {
                    variance = runningVariance.storage.pointer[c]
                } else {
                    variance = 0
                    let m = mean[c]
                    for n in 0..<batch {
                        let base = p + (n * channels + c) * spatial
                        for s in 0..<spatial { let d = base[s] - m; variance += d * d }
                    }
                    variance /= Float(reduced)
                    if training, let runningMean, let runningVariance {
                        let unbiased = variance * Float(reduced) / Float(reduced - 1)
                        runningMean.storage.pointer[c] = (1 - momentum) * runningMean.storage.pointer[c] + momentum * m
                        runningVariance.storage.pointer[c] = (1 - momentum) * runningVariance.storage.pointer[c] + momentum * unbiased
                    }
                }
                buffer[c] = 1 / (variance + epsilon).squareRoot()
            }
        }
        let result = Tensor.uninitialized(x.shape)
        let normalized = Tensor.uninitialized(x.shape)   // x̂, kept for the derivative rule
        for n in 0..<batch {
            for c in 0..<channels {
                let offset = (n * channels + c) * spatial
                let source = x.storage.pointer + offset, target = result.storage.pointer + offset
                let saved = normalized.storage.pointer + offset
                let (m, s) = (mean[c], inverseDeviation[c])
                let (w, b) = (weight?.storage.pointer[c] ?? 1, bias?.storage.pointer[c] ?? 0)
                for k in 0..<spatial {
                    let xhat = (source[k] - m) * s
                    saved[k] = xhat
                    target[k] = xhat * w + b
                }
            }
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let usesBatchStatistics = training || runningMean == nil
        return record(result, op: "batch norm", inputs: inputs) { g, needs in
            var sumG = [Float](repeating: 0, count: channels), sumGX = [Float](repeating: 0, count: channels)
            for n in 0..<batch {
                for c in 0..<channels {
                    let offset = (n * channels + c) * spatial
                    let gp = g.storage.pointer + offset, xp = normalized.storage.pointer + offset
                    var a: Float = 0, b: Float = 0
                    for k in 0..<spatial { a += gp[k]; b += gp[k] * xp[k] }
                    sumG[c] += a
                    sumGX[c] += b
                }
            }
            var gradients: [Tensor?] = []
            if needs[0] {
                let grad = Tensor.uninitialized(x.shape)
                for n in 0..<batch {
                    for c in 0..<channels {
                        let offset = (n * channels + c) * spatial
                        let gp = g.storage.pointer + offset, xp = normalized.storage.pointer + offset
                        let out = grad.storage.pointer + offset
                        let scale = (weight?.storage.pointer[c] ?? 1) * inverseDeviation[c]
                        if usesBatchStatistics {
                            let meanG = sumG[c] / Float(reduced), meanGX = sumGX[c] / Float(reduced)
                            for k in 0..<spatial { out[k] = scale * (gp[k] - meanG - xp[k] * meanGX) }
                        } else {
                            for k in 0..<spatial { out[k] = scale * gp[k] }
                        }
                    }
                }
                gradients.append(grad)
            } else {
                gradients.append(nil)
            }
            if weight != nil { gradients.append(Tensor(shape: [channels], scalars: sumGX)) }
            if bias != nil { gradients.append(Tensor(shape: [channels], scalars: sumG)) }
            return gradients
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
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return record(result, op: "layer norm", inputs: inputs) { g, needs in
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
