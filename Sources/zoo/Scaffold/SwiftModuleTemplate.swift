/// The Swift source of a scaffold's one module, for each role, with the library's entry point.
/// Each module declares its keys with `@Key` (the host fills the bound ones) and an example
/// configuration, so that `zoo plugin check` runs it without flags.
struct SwiftModuleTemplate {
    let name: ScaffoldName
    let role: ScaffoldRole
    let typeName: String

    var source: String {
        """
        // The \(name.name) plug-in: one \(role.rawValue) module, written with ZooPluginKit. The kit derives the
        // configuration's JSON Schema from the @Key declarations, back-propagates through the ZooTensor ops
        // of forward, and adapts the module to Zoo's C ABI (zoo_plugin.h).
        import ZooPluginKit

        \(module)

        @_cdecl("zoo_plugin_entry_v1")
        public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?) -> UnsafePointer<zoo_plugin_info>? {
            ZooPlugin.export(name: "\(name.name)", version: "0.1.0", modules: [\(typeName).self], host: host, error: error)
        }

        """
    }

    private var module: String {
        switch role {
        case .backbone: backbone
        case .head: head
        case .loss: loss
        case .relation: relation
        }
    }

    /// The parameters `weight [out, in]` and `bias [out]` (torch.nn.Linear's initialisation, from the
    /// run's seed) and the shape check of features `[B, in]`, for the modules that are linear maps.
    private func linearLayer(_ inputs: String, _ outputs: String, shapeComment: String) -> String {
        ##"""
        let weight: Tensor
            let bias: Tensor

            init(configuration: Configuration, host: PluginHost) throws {
                let layer = Linear(configuration.\##(inputs), configuration.\##(outputs), random: RandomSource(seed: host.seed))
                weight = layer.weight
                bias = layer.bias!
                super.init()
            }

            /// The parameters the host sees, updates in place and checkpoints, by state_dict name.
            override var namedLocalParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

            /// \##(shapeComment)
            func outputShape(for inputShape: [Int]) throws -> [Int] {
                guard inputShape.count == 2, inputShape[0] >= 1, inputShape[1] == weight.shape[1] else {
                    throw PluginError.shape("\(Self.name): expected features [B, \(weight.shape[1])] with B >= 1, got \(inputShape)")
                }
                return [inputShape[0], weight.shape[0]]
            }
        """##
    }

    private var backbone: String {
        ##"""
        /// `features = tanh(x Wᵀ + b)`: features [B, in_dim] → features [B, out_dim]. tanh is smooth, so
        /// finite differences agree with backward everywhere.
        final class \##(typeName): Module, Backbone {
            struct Configuration: PluginConfiguration {
                /// The host fills it from the data's sample shape when the manifest leaves it out.
                @Key("in_dim", minimum: 1, "input width D; the host fills it from the data", from: .inputFeatures)
                var inDim: Int
                @Key("out_dim", minimum: 1, "width of the features it gives the next stage") var outDim = 32
            }

            static let name = "\##(name.name)"
            static let summary = "one linear layer and tanh: features [B, in_dim] -> [B, out_dim]"
            static let documentation = """
                Input: features [B, in_dim]. Output: features [B, out_dim] = tanh(x W^T + b). Parameters weight \
                [out_dim, in_dim] and bias [out_dim], initialised as torch.nn.Linear.
                """
            /// A complete configuration and its input shapes: `zoo plugin check` runs the module on them.
            static let examples = [ModuleExample(#"{"in_dim": 16, "out_dim": 8}"#, inputs: [[4, 16]])]

            \##(linearLayer("inDim", "outDim", shapeComment: "The shape of the output."))

            func forward(_ input: Tensor) throws -> Tensor {
                Tensor.linear(input, weight: weight, bias: bias).tanh()
            }
        }
        """##
    }

    private var head: String {
        ##"""
        /// `logits = x Wᵀ + b`: features [B, in_dim] → logits [B, num_classes].
        final class \##(typeName): Module, Head {
            struct Configuration: PluginConfiguration {
                /// Both keys are bound: the host fills them when the manifest leaves them out.
                @Key("in_dim", minimum: 1, "feature width D; the host fills it from the stage's input", from: .inputFeatures)
                var inDim: Int
                @Key("num_classes", minimum: 1, "classes C: the logits' width; the host fills it from the data", from: .dataNumClasses)
                var numClasses: Int
            }

            static let name = "\##(name.name)"
            static let summary = "linear classifier: logits = x W^T + b"
            static let documentation = """
                Input: features [B, in_dim]. Output: logits [B, num_classes] = x W^T + b. Parameters weight \
                [num_classes, in_dim] and bias [num_classes]. The batch and the labels are unchanged.
                """
            /// A complete configuration and its input shapes: `zoo plugin check` runs the module on them.
            static let examples = [ModuleExample(#"{"in_dim": 16, "num_classes": 4}"#, inputs: [[4, 16]])]

            \##(linearLayer("inDim", "numClasses", shapeComment: "The shape of the output."))

            func forward(_ input: Tensor) throws -> Tensor {
                Tensor.linear(input, weight: weight, bias: bias)
            }
        }
        """##
    }

    private var loss: String {
        ##"""
        /// Cross-entropy with label smoothing: the mean over the batch of `−Σ_c q_c log p_c`, with
        /// `p = softmax(logits)` and `q = (1 − ε)·onehot(y) + ε/C`. ε = 0 is plain cross-entropy.
        final class \##(typeName): Module, Loss {
            struct Configuration: PluginConfiguration {
                @Key("smoothing", minimum: 0, exclusiveMaximum: 1, "label smoothing: the weight spread evenly over the classes")
                var smoothing: Float = 0.1
            }

            static let name = "\##(name.name)"
            static let summary = "cross-entropy with label smoothing"
            static let documentation = """
                Inputs: logits [B, C] (float32) and labels [B] (int64 class indices). Output: the scalar loss, the batch \
                mean of -sum_c q_c log softmax(logits)_c with q = (1 - smoothing) onehot(y) + smoothing / C.
                """
            /// A complete configuration and its input shapes (the logits; the labels are implied).
            static let examples = [ModuleExample(#"{"smoothing": 0.1}"#, inputs: [[4, 10]])]

            let smoothing: Float

            init(configuration: Configuration, host: PluginHost) throws {
                smoothing = configuration.smoothing   // the kit has checked it against the declaration
                super.init()
            }

            func loss(logits: Tensor, labels: [Int]) throws -> Tensor {
                let logProbabilities = logits.logSoftmax(alongAxis: 1)    // [B, C]
                let labelled = logProbabilities.gather(columns: labels)   // log p_y, [B]
                let spread = logProbabilities.mean(alongAxis: 1)          // (1/C) Σ_c log p_c, [B]
                return -((1 - smoothing) * labelled + smoothing * spread).mean()
            }
        }
        """##
    }

    private var relation: String {
        ##"""
        /// A batch relation: every sample receives a learned summary of the whole batch,
        /// `f(x)_i = x_i + tanh(m Wᵀ + b)` with `m` the mean of the batch's features.
        ///
        /// Two-stream, as BatchFormer: in training the kit returns `concat([x, f(x)])` along the batch,
        /// so the batch doubles and the host duplicates the labels; the shared head and loss see both
        /// streams. Training only: in evaluation the host does not run it, so inference costs nothing.
        final class \##(typeName): Module, BatchRelation {
            struct Configuration: PluginConfiguration {
                @Key("dim", minimum: 1, "feature width D; the host fills it from the stage's input", from: .inputFeatures)
                var dim: Int
            }

            static let name = "\##(name.name)"
            static let summary = "adds a learned summary of the batch to every sample (two-stream, training only)"
            static let documentation = """
                Input: features [B, dim]. In training the output is concat([x, f(x)], axis 0), [2B, dim], with \
                f(x)_i = x_i + tanh(mean_j(x_j) W^T + b); the host duplicates the labels. Not run in evaluation.
                """
            /// What the host does with the batch: these are BatchRelation's defaults, written out.
            static let batchEffect = BatchEffect.twoStream
            static let trainingOnly = true
            /// A complete configuration and its input shapes: `zoo plugin check` runs the module on them.
            static let examples = [ModuleExample(#"{"dim": 16}"#, inputs: [[4, 16]])]

            \##(linearLayer("dim", "dim", shapeComment: "The shape of f(x); the kit doubles the batch."))

            /// f(x) alone: the kit puts x in front of it.
            func forward(_ input: Tensor) throws -> Tensor {
                let summary = Tensor.linear(input.mean(alongAxis: 0, keepingDimensions: true), weight: weight, bias: bias).tanh()
                return input + summary   // [B, D] + [1, D]
            }
        }
        """##
    }
}
