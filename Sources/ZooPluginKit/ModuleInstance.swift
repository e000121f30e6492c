import CZooPlugin
import Foundation
import ZooNN
import ZooTensor

/// A parameter or buffer as the host sees it: a C name and shape that live as long as the module.
final class ExposedTensor {
    let name: String
    let cName: UnsafeMutablePointer<CChar>
    let tensor: Tensor
    let isBuffer: Bool
    /// `tensor.shape` as int64, for `DLTensor.shape` (never empty, so never NULL).
    let cShape: UnsafeMutablePointer<Int64>

    init(name: String, tensor: Tensor, isBuffer: Bool) {
        self.name = name
        cName = strdup(name)
        self.tensor = tensor
        self.isBuffer = isBuffer
        cShape = .allocate(capacity: Swift.max(tensor.rank, 1))
        cShape.initialize(repeating: 0, count: Swift.max(tensor.rank, 1))
        for (axis, extent) in tensor.shape.enumerated() { cShape[axis] = Int64(extent) }
    }

    deinit {
        free(cName)
        cShape.deallocate()
    }

    /// The DLTensor over the tensor's own storage, which stays at one address for its whole life.
    var dlTensor: DLTensor {
        DLTensor(
            data: UnsafeMutableRawPointer(tensor.storage.pointer),
            device: DLDevice(device_type: kDLCPU, device_id: 0),
            ndim: Int32(tensor.rank), dtype: DLTensors.float32,
            shape: cShape, strides: nil, byte_offset: 0)
    }
}

/// What a training forward saves for backward: the graph, reachable from the outputs.
final class ForwardState {
    /// The leaf tensors the inputs became (nil for a labels input).
    var inputs: [Tensor?]
    var outputs: [Tensor]
    var backPropagated = false

    init(inputs: [Tensor?], outputs: [Tensor]) {
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// One created module: the author's object behind the ABI's `void *module` handle.
final class ModuleInstance {
    let type: any PluginModule.Type
    let object: any PluginModule
    let module: Module
    let host: PluginHost
    let exposed: [ExposedTensor]

    var name: String { type.name }

    /// The module's dropout layers, reseeded from the host before each training forward.
    let dropoutLayers: [Dropout]

    init(type: any PluginModule.Type, object: any PluginModule, host: PluginHost) {
        self.type = type
        self.object = object
        self.host = host
        module = object.module
        let parameters = module.namedParameters().map { ExposedTensor(name: $0.0, tensor: $0.1, isBuffer: false) }
        let buffers = module.namedBuffers().map { ExposedTensor(name: $0.0, tensor: $0.1, isBuffer: true) }
        exposed = parameters + buffers
        dropoutLayers = module.dropoutLayers
        for entry in parameters { entry.tensor.requiresGrad = true }
    }

    // MARK: output_shapes

    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] {
        guard inputShapes.count == type.inputCount else {
            throw PluginError.invalidArgument("\(name): expected \(type.inputCount) input(s), got \(inputShapes.count)")
        }
        let shapes = try object.outputShapes(for: inputShapes)
        guard shapes.count == type.outputCount else {
            throw PluginError.internal(
                "\(name): outputShapes gave \(shapes.count) shape(s) for \(type.outputCount) declared output(s)")
        }
        for shape in shapes where shape.count > Int(ZOO_MAX_RANK) || shape.contains(where: { $0 < 0 }) {
            throw PluginError.internal("\(name): outputShapes gave \(shape), not a shape the ABI can carry")
        }
        return shapes
    }

    // MARK: forward

    /// Runs forward, fills the host's outputs and returns the state backward needs (nil in eval).
    func forward(
        mode: zoo_mode, inputCount: Int32, inputs: UnsafePointer<DLTensor>?,
        outputCount: Int32, outputs: UnsafeMutablePointer<DLTensor>?
    ) throws -> ForwardState? {
        let training: Bool
        switch mode {
        case ZOO_MODE_TRAIN: training = true
        case ZOO_MODE_EVAL: training = false
        default: throw PluginError.unsupported("\(name): unknown mode \(mode)")
        }
        guard Int(inputCount) == type.inputCount else {
            throw PluginError.invalidArgument("\(name): expected \(type.inputCount) input(s), got \(inputCount)")
        }
        guard Int(outputCount) == type.outputCount else {
            throw PluginError.invalidArgument("\(name): expected \(type.outputCount) output(s), got \(outputCount)")
        }
        guard let inputs, let outputs else {
            throw PluginError.invalidArgument("\(name): forward without input or output array")
        }

        // Shapes first: the module's own check, so that its ops never meet a shape they trap on.
        let count = type.inputCount
        let labelsIndex = type.takesLabels ? count - 1 : nil
        var inputShapes: [[Int]] = []
        for index in 0..<count {
            inputShapes.append(try DLTensors.shape(of: inputs[index], role: inputRole(index, labelsIndex)))
        }
        let expected = try outputShapes(for: inputShapes)

        // Inputs are borrowed, never copied: in training the host keeps them alive and unchanged
        // until it releases this forward's state (zoo_plugin.h, MEMORY), and the tape lives in that state.
        var leaves: [Tensor?] = []
        var tensors: [Tensor] = []
        var labels: [Int]? = nil
        for index in 0..<count {
            let role = inputRole(index, labelsIndex)
            if index == labelsIndex {
                labels = try DLTensors.readLabels(inputs[index], shape: inputShapes[index], role: role)
                leaves.append(nil)
                continue
            }
            let tensor = try DLTensors.borrowFloats(inputs[index], shape: inputShapes[index], role: role)
            tensor.requiresGrad = training
            tensors.append(tensor)
            leaves.append(tensor)
        }

        if module.isTraining != training { module.setTraining(training) }
        // Dropout masks come from the host's run generator, which checkpoints keep (zoo_plugin.h, RANDOMNESS).
        if training, !dropoutLayers.isEmpty, let seed = host.nextSeed() { Dropout.reseed(dropoutLayers, from: seed) }
        let results = try GradientMode.$isEnabled.withValue(training) {
            try object.forward(tensors, labels: labels, training: training)
        }
        guard results.count == expected.count else {
            throw PluginError.internal("\(name): forward returned \(results.count) tensor(s), expected \(expected.count)")
        }
        for (index, (result, shape)) in zip(results, expected).enumerated() {
            guard result.shape == shape else {
                throw PluginError.internal(
                    "\(name): forward returned output \(index) of shape \(result.shape), but outputShapes said \(shape)")
            }
            try DLTensors.write(result, into: outputs[index], expected: shape, role: "\(name): output \(index)")
        }
        return training ? ForwardState(inputs: leaves, outputs: results) : nil
    }

    private func inputRole(_ index: Int, _ labelsIndex: Int?) -> String {
        index == labelsIndex ? "\(name): input \(index) (labels)" : "\(name): input \(index)"
    }

    // MARK: backward

    func backward(
        state: ForwardState, outputCount: Int32, outputGradients: UnsafePointer<DLTensor>?,
        inputCount: Int32, inputGradients: UnsafeMutablePointer<DLTensor>?,
        parameterCount: Int32, parameterGradients: UnsafeMutablePointer<DLTensor>?
    ) throws {
        guard !state.backPropagated else {
            throw PluginError.invalidArgument("\(name): backward called twice with one state")
        }
        guard Int(outputCount) == state.outputs.count else {
            throw PluginError.invalidArgument("\(name): expected \(state.outputs.count) output gradient(s), got \(outputCount)")
        }
        guard Int(inputCount) == state.inputs.count else {
            throw PluginError.invalidArgument("\(name): expected \(state.inputs.count) input gradient(s), got \(inputCount)")
        }
        guard parameterCount == 0 || Int(parameterCount) == exposed.count else {
            throw PluginError.invalidArgument(
                "\(name): expected \(exposed.count) parameter gradient(s) (parameters and buffers) or none, got \(parameterCount)")
        }
        guard outputCount == 0 || outputGradients != nil else {
            throw PluginError.invalidArgument("\(name): backward without output gradients")
        }
        state.backPropagated = true
        defer {
            // The graph is spent: drop it now rather than at release_state.
            for input in state.inputs { input?.grad = nil }
            state.inputs = []
            state.outputs = []
            for entry in exposed { entry.tensor.grad = nil }
        }

        // Seeds: the host's output gradients, borrowed for the length of this call.
        var seeded: [(Tensor, Tensor)] = []
        for (index, output) in state.outputs.enumerated() {
            let gradient = outputGradients![index]
            let role = "\(name): output gradient \(index)"
            guard gradient.data != nil || output.count == 0 else { continue }   // no gradient: zero
            let shape = try DLTensors.shape(of: gradient, role: role)
            guard shape == output.shape else {
                throw PluginError.invalidArgument("\(role) has shape \(shape); the output has \(output.shape)")
            }
            guard output.requiresGrad, output.count > 0 else { continue }
            seeded.append((output, try DLTensors.borrowFloats(gradient, shape: shape, role: role)))
        }

        for input in state.inputs { input?.grad = nil }
        for entry in exposed { entry.tensor.grad = nil }
        GradientMode.$isEnabled.withValue(true) {
            if seeded.count == 1 {
                seeded[0].0.backward(seed: seeded[0].1)
            } else if seeded.count > 1 {
                let objective = seeded.dropFirst().reduce((seeded[0].0 * seeded[0].1).sum()) { total, pair in
                    total + (pair.0 * pair.1).sum()
                }
                objective.backward()
            }
        }

        if let inputGradients {
            for (index, input) in state.inputs.enumerated() where inputGradients[index].data != nil {
                let role = "\(name): input gradient \(index)"
                if let input {
                    try DLTensors.write(input.grad, into: inputGradients[index], expected: input.shape, role: role)
                } else {
                    try DLTensors.zeroFill(inputGradients[index], role: role)   // labels
                }
            }
        }
        if parameterCount > 0, let parameterGradients {
            for (index, entry) in exposed.enumerated() where parameterGradients[index].data != nil {
                try DLTensors.write(entry.isBuffer ? nil : entry.tensor.grad, into: parameterGradients[index],
                                    expected: entry.tensor.shape, role: "\(name): gradient of \(entry.name)")
            }
        }
    }

    // MARK: parameters

    func listParameters(capacity: Int32, into target: UnsafeMutablePointer<zoo_named_tensor>?) throws {
        guard Int(capacity) >= exposed.count else {
            throw PluginError.invalidArgument(
                "\(name): room for \(capacity) parameter(s), the module has \(exposed.count) (parameters and buffers)")
        }
        guard exposed.isEmpty || target != nil else {
            throw PluginError.invalidArgument("\(name): parameters without an array")
        }
        for (index, entry) in exposed.enumerated() {
            target![index] = zoo_named_tensor(
                name: UnsafePointer(entry.cName), tensor: entry.dlTensor,
                is_buffer: entry.isBuffer ? 1 : 0, reserved: 0)
        }
    }
}
