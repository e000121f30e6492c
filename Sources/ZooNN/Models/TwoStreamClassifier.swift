import ZooTensor

/// A classifier with an optional BatchFormer (a transformer encoder layer across the samples of
/// the batch) between backbone and head, trained two-stream: in training the shared head sees
/// `concat([f, relation(f)])` over 2B rows and the labels are duplicated; in evaluation the
/// relation module is not run, so inference costs what the plain model costs.
///
/// Keys: `backbone.…`, `relation.…` (PyTorch's `TransformerEncoderLayer` names), `head.…`.
/// Shape: `[B, …]` → logits `[2B, classes]` in training with a relation module, else `[B, classes]`.
public final class TwoStreamClassifier: Module {
    public let backbone: Layer
    public let relation: TransformerEncoderLayer?
    public let head: Layer

    public init(backbone: Layer, relation: TransformerEncoderLayer?, head: Layer) {
        self.backbone = backbone
        self.relation = relation
        self.head = head
    }

    public override var namedChildren: [(String, Module)] {
        [("backbone", backbone)] + (relation.map { [("relation", $0)] } ?? []) + [("head", head)]
    }

    /// Logits and the labels they answer to (duplicated when the batch was doubled).
    public func callAsFunction(_ input: Tensor, labels: [Int]) -> (logits: Tensor, labels: [Int]) {
        let features = backbone(input)
        guard isTraining, let relation else { return (head(features), labels) }
        precondition(features.rank == 2, "[TwoStreamClassifier] BatchFormer V1 expects features [B, D], got \(features.shape)")
        // The batch is one sequence of B tokens: [L = B, N = 1, E = D].
        let related = relation(features.unsqueezed(1)).reshaped(features.shape)
        return (head(Tensor.concatenate([features, related], alongAxis: 0)), labels + labels)
    }
}
