/// Classification losses built from log-softmax (their gradients come from the parts).
extension Tensor {
    /// Mean cross-entropy of `[N, C]` logits against class indices, as `F.cross_entropy`.
    ///
    /// - Parameters:
    ///   - labelSmoothing: PyTorch's `label_smoothing`: the target mixes the one-hot label
    ///     (weight `1 − ε`) with the uniform distribution over classes (weight `ε`).
    ///   - classWeights: optional `[C]` weights; the mean is then weighted by the labels' weights,
    ///     as PyTorch's `weight=` (not combined with smoothing).
    public static func crossEntropy(
        logits: Tensor, labels: [Int], labelSmoothing: Float = 0, classWeights: Tensor? = nil
    ) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                     "[cross entropy] logits \(logits.shape) for \(labels.count) labels")
        let classes = logits.shape[1]
        for label in labels {
            precondition(label >= 0 && label < classes, "[cross entropy] label \(label) out of range 0..<\(classes)")
        }
        let logProbabilities = logits.logSoftmax(alongAxis: 1)
        let picked = logProbabilities.gather(columns: labels)
        if let classWeights {
            precondition(labelSmoothing == 0, "[cross entropy] class weights with label smoothing are not supported")
            let weights = Tensor(shape: [labels.count], scalars: labels.map { classWeights.storage.pointer[$0] })
            return -(picked * weights).sum() / weights.sum().item
        }
        let negativeLogLikelihood = -picked.mean()
        guard labelSmoothing > 0 else { return negativeLogLikelihood }
        let uniform = -logProbabilities.mean(alongAxis: 1).mean()
        return negativeLogLikelihood * (1 - labelSmoothing) + uniform * labelSmoothing
    }
}
