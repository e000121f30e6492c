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

    /// Rows `[n, c]` in memory order, split across the workers: the statistics in one vectorised
    /// pass, then `y = x·a + b` (clamped at 0 with `relu`) in a second; the derivative rule likewise.
    /// It recomputes x̂ from x and the saved mean and 1/σ rather than keeping an x̂ tensor.
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
        let rows = UncheckedSendable(RowGeometry(channels: channels, spatial: spatial, count: batch * channels))
        OpTimer.measure(.normalization) {
            var means = [Float](repeating: 0, count: channels), inverses = means
            if usesBatchStatistics {
                // Per row: its sum and its own squared deviations (while it is in L1), combined per channel
                // as Chan et al.: M2 = Σ M2_row + Σ s_row²/S − (Σ s_row)²/N, in double precision.
                let totals = rows.value.perChannelSums { row in
                    let line = p.x + row * spatial
                    let sum = VectorKernels.sum(line, spatial)
                    let squares = VectorKernels.squaredDeviations(line, spatial, mean: sum / Float(spatial))
                    return (Double(sum), Double(squares), Double(sum) * Double(sum) / Double(spatial))
                }
                for c in 0..<channels {
                    let (sum, squares, rowMeans) = totals[c]
                    let mean = sum / Double(reduced)
                    let variance = Swift.max(0, squares + rowMeans - sum * mean) / Double(reduced)
                    means[c] = Float(mean)
                    inverses[c] = 1 / (Float(variance) + epsilon).squareRoot()
                    if training, let runningMean = runningMean?.storage.pointer, let runningVariance = runningVariance?.storage.pointer {
                        let unbiased = Float(variance * Double(reduced) / Double(reduced - 1))
                        runningMean[c] = (1 - momentum) * runningMean[c] + momentum * Float(mean)
                        runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * unbiased
                    }
                }
            } else {
                for c in 0..<channels {
                    means[c] = runningMean!.storage.pointer[c]
                    inverses[c] = 1 / (runningVariance!.storage.pointer[c] + epsilon).squareRoot()
                }
            }
            var coefficients = [Float](repeating: 0, count: 2 * channels)   // y = x·a + b per channel
            for c in 0..<channels {
                (statistics.pointer[c], statistics.pointer[channels + c]) = (means[c], inverses[c])
                let a = (p.weight?[c] ?? 1) * inverses[c]
                (coefficients[2 * c], coefficients[2 * c + 1]) = (a, (p.bias?[c] ?? 0) - means[c] * a)
            }
            coefficients.withUnsafeBufferPointer { buffer in
                let k = UncheckedSendable(buffer.baseAddress!)
                rows.value.forEachRow { row in
                    let c = row % channels
                    VectorKernels.affine(p.x + row * spatial, spatial, a: k.value[2 * c], b: k.value[2 * c + 1], relu: relu,
                                         into: p.out + row * spatial)
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
            let saved = UncheckedSendable(statistics.pointer)
            OpTimer.measure(.normalization) {
                let totals = rows.value.perChannelSums { row in
                    let offset = row * spatial
                    if relu {
                        VectorKernels.reluGradient(upstream.value + offset, y.value + offset, spatial,
                                                   into: UnsafeMutablePointer(mutating: gp.value) + offset)
                    }
                    let (sg, sgx) = VectorKernels.sums(gp.value + offset, p.x + offset, spatial, mean: saved.value[row % channels])
                    return (Double(sg), Double(sgx), 0)
                }
                var coefficients = [Float](repeating: 0, count: 3 * channels)   // gradient = a·g + b·x + c
                for c in 0..<channels {
                    let (mean, inverse) = (saved.value[c], saved.value[channels + c])
                    let sumG = Float(totals[c].0), sumGX = Float(totals[c].1) * inverse   // Σ g, Σ g·x̂
                    gradWeight?.storage.pointer[c] = sumGX
                    gradBias?.storage.pointer[c] = sumG
                    // scale·(g − mean(g) − x̂·mean(g·x̂)) with x̂ = (x − mean)/σ.
                    let scale = (p.weight?[c] ?? 1) * inverse
                    let meanG = usesBatchStatistics ? sumG / Float(reduced) : 0
                    let meanGX = usesBatchStatistics ? sumGX / Float(reduced) : 0
                    coefficients[3 * c] = scale
                    coefficients[3 * c + 1] = -scale * inverse * meanGX
                    coefficients[3 * c + 2] = scale * (mean * inverse * meanGX - meanG)
                }
                guard let gradInput = gradInput?.storage.pointer else { return }
                let target = UncheckedSendable(gradInput)
                coefficients.withUnsafeBufferPointer { buffer in
                    let k = UncheckedSendable(buffer.baseAddress!)
                    rows.value.forEachRow { row in
                        let c = row % channels, offset = row * spatial
                        VectorKernels.combine(gp.value + offset, p.x + offset, spatial, a: k.value[3 * c], b: k.value[3 * c + 1],
                                              c: k.value[3 * c + 2], into: target.value + offset)
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

/// The rows `[n, c]` of a `[N, C, spatial]` tensor, for loops in memory order across the workers.
private struct RowGeometry {
    let channels, spatial, count: Int

    /// Parts worth splitting into: one per worker, unless the tensor is small.
    private var parts: Int {
        Swift.min(Threading.threadCount, Swift.max(1, count * spatial / Threading.elementwiseGrain))
    }

    /// Calls `body(row)` for every row.
    func forEachRow(_ body: (Int) -> Void) {
        let parts = parts
        Threading.parallelParts(parts) { part in
            for row in (count * part / parts)..<(count * (part + 1) / parts) { body(row) }
        }
    }

    /// The sums per channel (row `r` is channel `r % C`) of the three values `rowValues(row)` gives.
    func perChannelSums(_ rowValues: (Int) -> (Double, Double, Double)) -> [(Double, Double, Double)] {
        let parts = parts
        var partials = [Double](repeating: 0, count: parts * channels * 3)
        partials.withUnsafeMutableBufferPointer { buffer in
            let base = UncheckedSendable(buffer.baseAddress!)
            Threading.parallelParts(parts) { part in
                let own = base.value + part * channels * 3
                for row in (count * part / parts)..<(count * (part + 1) / parts) {
                    let (a, b, c) = rowValues(row), slot = own + (row % channels) * 3
                    slot[0] += a
                    slot[1] += b
                    slot[2] += c
                }
            }
        }
        return (0..<channels).map { c in
            (0..<parts).reduce((0.0, 0.0, 0.0)) { total, part in
                let slot = (part * channels + c) * 3
                return (total.0 + partials[slot], total.1 + partials[slot + 1], total.2 + partials[slot + 2])
            }
        }
    }
}
