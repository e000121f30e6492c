import CZooPlugin
import Foundation
import ZooTensor

/// A module created by a plug-in, made a node of the host's autodiff graph.
///
/// Forward passes host tensors to the plug-in as `DLTensor`s over their own storage and receives
/// its outputs in host-allocated tensors (no copies either way). In training the result records a
/// derivative rule that calls the plug-in's backward; the plug-in's saved state is released after
/// backward, or when the graph is dropped without one. Parameters and buffers are host tensors over
/// the plug-in's memory: the optimiser and checkpoints update them in place.
///
/// ```swift
/// let head = try ModuleInstance(functions: descriptor.functions, name: "scaled-head",
///                               configuration: #"{"in_features": 64, "out_features": 10, "scale": 1}"#)
/// let logits = try head.forward([features], training: true)[0]
/// ```
public final class ModuleInstance: @unchecked Sendable {
    public let name: String
    /// Parameters (trainable, `requiresGrad`) under the names the plug-in gives them.
    public let namedParameters: [(String, Tensor)]
    /// Buffers (running statistics and the like).
    public let namedBuffers: [(String, Tensor)]
    private let functions: UnsafePointer<zoo_module_functions>
    private let handle: UnsafeMutableRawPointer
    /// Destroys the plug-in's module once neither this object nor any of its parameter tensors is left.
    private let holder: Holder
    /// Held around calls into modules that are not reentrant.
    private let serialisation: NSLock?
    /// Parameters and buffers in the order the plug-in lists them; backward's parameter gradients follow it.
    private let parameterSlots: [(name: String, tensor: Tensor, isBuffer: Bool)]

    /// Creates the module from its validated configuration (JSON, defaults filled), with the
    /// services of `session` (its seed and run generator), or of the process (`HostServices`).
    public init(functions: UnsafePointer<zoo_module_functions>, name: String, configuration: String,
                reentrant: Bool = false, owner: AnyObject? = nil, session: HostSession? = nil) throws {
        self.functions = functions
        self.name = name
        serialisation = reentrant ? nil : NSLock()
        var created: UnsafeMutableRawPointer?
        try PluginCallError.check("module \"\(name)\": create") { error in
            configuration.withCString { functions.pointee.create!(session?.api ?? HostServices.api, $0, &created, error) }
        }
        guard let created else {
            throw PluginCallError(status: ZOO_ERROR_INTERNAL, message: "module \"\(name)\": create returned no module")
        }
        handle = created
        holder = Holder(handle: created, functions: functions, owner: owner, session: session)
        parameterSlots = try ModuleInstance.listParameters(functions, created, name: name, owner: holder)
        namedParameters = parameterSlots.filter { !$0.isBuffer }.map { ($0.name, $0.tensor) }
        namedBuffers = parameterSlots.filter { $0.isBuffer }.map { ($0.name, $0.tensor) }
    }

    /// The shapes forward would return for these input shapes.
    public func outputShapes(_ inputShapes: [[Int]], outputCount: Int = 1) throws -> [[Int]] {
        var shapes = try inputShapes.map { try zoo_shape($0, module: name) }
        var outputs = [zoo_shape](repeating: zoo_shape(), count: outputCount)
        try locked {
            try PluginCallError.check("module \"\(name)\": output shapes") { error in
                functions.pointee.output_shapes!(handle, Int32(shapes.count), &shapes, Int32(outputCount), &outputs, error)
            }
        }
        return try outputs.map { try $0.extents(module: name) }
    }

    /// Runs the module. `labels` (class indices) go to the plug-in as a trailing int64 input, as a
    /// loss expects. In training the single output carries the derivative rule.
    public func forward(_ inputs: [Tensor], labels: [Int]? = nil, training: Bool) throws -> [Tensor] {
        let shapes = inputs.map(\.shape) + (labels.map { [[$0.count]] } ?? [])
        let outputShapes = try self.outputShapes(shapes)
        let outputs = outputShapes.map { Tensor.uninitialized($0) }
        let labelValues = labels.map { $0.map { Int64($0) } } ?? []
        var state: UnsafeMutableRawPointer?
        try DLTensorList.with(inputs, labels: labels == nil ? nil : labelValues) { inputList in
            try DLTensorList.with(outputs) { outputList in
                try locked {
                    try PluginCallError.check("module \"\(name)\": forward") { error in
                        functions.pointee.forward!(handle, training ? ZOO_MODE_TRAIN : ZOO_MODE_EVAL,
                                                   Int32(inputList.count), inputList.pointer,
                                                   Int32(outputList.count), outputList.pointer, &state, error)
                    }
                }
            }
        }
        let saved = SavedState(state, module: handle, functions: functions, holder: holder)
        let parameters = parameterSlots.map(\.tensor)
        let needsGraph = training && GradientMode.isEnabled
            && (inputs.contains { $0.requiresGrad } || parameters.contains { $0.requiresGrad })
        guard needsGraph else { return outputs }
        guard outputs.count == 1 else {
            throw PluginCallError(status: ZOO_ERROR_UNSUPPORTED,
                                  message: "module \"\(name)\": training through \(outputs.count) outputs is not supported")
        }
        let graphInputs = inputs + parameters.filter { $0.requiresGrad }
        let gradientSlots = parameterSlots.map { !$0.isBuffer }
        return [Tensor.recordCustom(outputs[0], op: name, inputs: graphInputs) { [self] upstream, needs in
            let inputGradients = inputs.indices.map { needs[$0] ? Tensor.uninitialized(inputs[$0].shape) : nil }
            let parameterGradients = parameters.indices.map {
                gradientSlots[$0] ? Tensor.uninitialized(parameters[$0].shape) : nil
            }
            let emptyInputs = labels == nil ? [] : [nil as Tensor?]
            do {
                try DLTensorList.with([upstream]) { gradientList in
                    try DLTensorList.with(optional: inputGradients + emptyInputs) { inputList in
                        try DLTensorList.with(optional: parameterGradients) { parameterList in
                            try locked {
                                try PluginCallError.check("module \"\(name)\": backward") { error in
                                    functions.pointee.backward!(handle, saved.pointer, 1, gradientList.pointer,
                                                                Int32(inputList.count), inputList.pointer,
                                                                Int32(parameterList.count), parameterList.pointer, error)
                                }
                            }
                        }
                    }
                }
            } catch {
                preconditionFailure("\(error)")
            }
            saved.release()
            return inputGradients + parameterGradients.enumerated().compactMap { index, gradient in
                parameters[index].requiresGrad ? gradient : nil
            }
        }]
    }

    private func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
        serialisation?.lock()
        defer { serialisation?.unlock() }
        return try body()
    }

    private static func listParameters(_ functions: UnsafePointer<zoo_module_functions>,
                                       _ handle: UnsafeMutableRawPointer, name: String, owner: Holder) throws
        -> [(name: String, tensor: Tensor, isBuffer: Bool)] {
        let count = Int(functions.pointee.parameter_count!(handle))
        guard count > 0 else { return [] }
        var listed = [zoo_named_tensor](repeating: zoo_named_tensor(), count: count)
        try PluginCallError.check("module \"\(name)\": parameters") { error in
            functions.pointee.parameters!(handle, Int32(count), &listed, error)
        }
        return try listed.map { entry in
            let key = entry.name.map { String(cString: $0) } ?? ""
            let tensor = try DLTensorList.borrow(entry.tensor, owner: owner,
                                                 context: "module \"\(name)\": parameter \"\(key)\"")
            tensor.requiresGrad = entry.is_buffer == 0
            return (key, tensor, entry.is_buffer != 0)
        }
    }
}

/// Destroys the plug-in's module when the last of the host objects that use it is gone.
final class Holder: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let functions: UnsafePointer<zoo_module_functions>
    /// The library, and the session whose table the module was created with: both outlive it.
    let owner: AnyObject?
    let session: HostSession?

    init(handle: UnsafeMutableRawPointer, functions: UnsafePointer<zoo_module_functions>, owner: AnyObject?,
         session: HostSession? = nil) {
        (self.handle, self.functions, self.owner, self.session) = (handle, functions, owner, session)
    }

    deinit { functions.pointee.destroy!(handle) }
}

/// A forward's saved state: released once, after backward or when the graph is dropped.
final class SavedState: @unchecked Sendable {
    private(set) var pointer: UnsafeMutableRawPointer?
    private let module: UnsafeMutableRawPointer
    private let functions: UnsafePointer<zoo_module_functions>
    private let holder: Holder

    init(_ pointer: UnsafeMutableRawPointer?, module: UnsafeMutableRawPointer,
         functions: UnsafePointer<zoo_module_functions>, holder: Holder) {
        (self.pointer, self.module, self.functions, self.holder) = (pointer, module, functions, holder)
    }

    func release() {
        if let pointer { functions.pointee.release_state!(module, pointer) }
        pointer = nil
    }

    deinit { release() }
}
