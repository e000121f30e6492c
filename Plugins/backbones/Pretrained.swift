import Foundation
import ZooPluginKit

/// The keys every backbone shares: `pretrained` and `pretrained_strict`.
struct PretrainedKeys: PluginConfiguration {
    @Key("pretrained", "a safetensors file whose keys are this module's parameter and buffer names")
    var path: String? = nil
    @Key("pretrained_strict", "false: ignore missing and unexpected keys (shapes must still agree)")
    var strict = true
}

/// Loads a safetensors file into a module's parameters and buffers in place, as PyTorch's
/// `load_state_dict`: integer tensors (`num_batches_tracked`) are read as floats; missing,
/// unexpected and mis-shaped keys are listed by name in the error.
enum Pretrained {
    static func load(_ keys: PretrainedKeys, into module: Module, name: String) throws {
        guard let path = keys.path else { return }
        let strict = keys.strict
        let archive: SafeTensorsArchive
        do {
            archive = try SafeTensorsArchive(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PluginError.invalidConfiguration("\(name): pretrained weights \(path) cannot be read: \(error)")
        }
        var values = archive.tensors
        for (key, integers) in archive.indexTensors where values[key] == nil {
            values[key] = Tensor(shape: integers.shape, scalars: integers.values.map { Float($0) })
        }
        do {
            try module.loadStateDictionary(values, strict: strict)
        } catch let mismatch as StateDictionaryError {
            throw PluginError.invalidConfiguration(
                "\(name): pretrained weights \(path) do not fit the module: \(mismatch)"
                    + (strict && mismatch.mismatched.isEmpty ? " (pretrained_strict: false loads the keys that fit)" : ""))
        }
    }
}

/// Shape checks shared by the image backbones.
enum ImageShape {
    /// `[B, channels, H, W]` with `B ≥ 1` and `H, W ≥ minimum`, or a shape error naming `module`.
    static func check(_ shape: [Int], channels: Int, minimumSide: Int, module: String) throws {
        guard shape.count == 4, shape[0] >= 1, shape[1] == channels, shape[2] >= minimumSide, shape[3] >= minimumSide else {
            throw PluginError.shape(
                "\(module): expected images [B, \(channels), H, W] with H, W >= \(minimumSide), got \(shape)")
        }
    }
}

/// A max-pooling layer (`nn.MaxPool2d`): no parameters.
final class MaxPool2d: Layer {
    let kernel: Int, stride: Int, padding: Int

    init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernel, self.stride, self.padding) = (kernel, stride ?? kernel, padding)
    }

    override func forward(_ input: Tensor) -> Tensor {
        input.maxPool2d(kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding))
    }

    /// The output side for an input side, as PyTorch computes it (floor mode).
    func outputSide(_ side: Int) -> Int { (side + 2 * padding - kernel) / stride + 1 }
}

/// Global average pooling to `[N, C]`.
func globalAveragePool(_ x: Tensor) -> Tensor {
    x.adaptiveAveragePool2d(outputSize: (1, 1)).reshaped([x.shape[0], x.shape[1]])
}
