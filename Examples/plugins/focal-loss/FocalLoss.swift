// A Zoo plug-in with one module: the focal loss of Lin et al. (2017), written with ZooTensor ops
// the way any plug-in author would. Build: `swift build --product ZooExampleFocalLoss`.
import ZooPluginKit

/// `mean(−(1 − p_y)^γ · log p_y)` over the batch, `p = softmax(logits)`: cross-entropy that
/// down-weights the samples the model already gets right (γ = 0 is plain cross-entropy).
public final class FocalLoss: Module, Loss {
    /// Each key once: the kit derives the schema and the decoding from these declarations.
    public struct Configuration: PluginConfiguration {
        /// The focusing parameter γ ≥ 0.
        @Key("gamma", minimum: 0, "focusing parameter; 0 gives cross-entropy") public var gamma: Float = 2

        public init() {}
    }

    public static let name = "focal-loss"
    /// What `zoo plugin check` runs: a configuration, and logits of 5 classes for a batch of 4.
    public static let examples = [ModuleExample(#"{"gamma": 2}"#, inputs: [[4, 5]])]
    public static let summary = "focal loss: cross-entropy weighted by (1 - p_y)^gamma"
    public static let documentation = """
        Inputs: logits [B, C] (float32) and labels [B] (int64 class indices). Output: the scalar loss \
        mean over the batch of -(1 - p_y)^gamma * log p_y, with p = softmax(logits) and y the label. \
        gamma = 0 is cross-entropy; larger gamma puts more weight on the hard samples.
        """
    public let gamma: Float

    public init(configuration: Configuration, host: PluginHost) throws {
        gamma = configuration.gamma   // the kit has checked it against the declaration: a number >= 0
    }

    public func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
        let logProbability = logits.logSoftmax(alongAxis: 1).gather(columns: labels)   // log p_y, [B]
        guard gamma > 0 else { return -logProbability.mean() }
        // (1 − p_y)^γ; the floor keeps the derivative of x^γ finite (γ < 1) when p_y rounds to 1.
        let weight = (1 - logProbability.exp()).clamped(min: .leastNormalMagnitude).pow(gamma)
        return -(weight * logProbability).mean()
    }
}

@_cdecl("zoo_plugin_entry_v1")
public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?) -> UnsafePointer<zoo_plugin_info>? {
    ZooPlugin.export(name: "focal-loss", version: "1.0.0", modules: [FocalLoss.self], host: host, error: error)
}
