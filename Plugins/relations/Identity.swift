import ZooPluginKit

/// A relation slot that does nothing: for ablations against BatchFormer.
final class IdentityRelation: Module, BatchRelation {
    struct Configuration: PluginConfiguration {
        @Key("dim", minimum: 1, "accepted and ignored (the width of the features)", from: .inputFeatures) var dim: Int?
    }

    static let name = "identity"
    static let examples = [ModuleExample(#"{"dim": 16}"#)]
    static let summary = "returns its input unchanged (an ablation stand-in for BatchFormer)"
    static let documentation = """
        Input: any float32 tensor whose first axis is the batch (features [B, D], maps [B, C, H, W], tokens \
        [B, N, C]). Output: the input itself, in training and in evaluation. Batch and labels: unchanged; the \
        module is not two-stream (the batch does not double, the labels are not duplicated) and not training-only. \
        It has no parameters. `dim` is accepted and ignored, so that a manifest can swap batchformer-v1 for \
        identity without touching its other keys.
        """
    static var batchEffect: BatchEffect { .unchanged }
    static var trainingOnly: Bool { false }
    static var threading: ModuleThreading { .reentrant }

    init(configuration: Configuration, host: PluginHost) throws {
        super.init()
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    func forward(_ input: Tensor) throws -> Tensor {
        input.reshaped(input.shape)
    }
}
