import CZooPlugin
import ZooTensor

/// The C functions of every module's table. Each finds the `ModuleInstance` behind the handle,
/// runs the Swift code and turns any thrown error into a status and a message; no Swift error
/// crosses the boundary.
enum Thunks {
    static func instance(_ module: UnsafeMutableRawPointer) -> ModuleInstance {
        Unmanaged<ModuleInstance>.fromOpaque(module).takeUnretainedValue()
    }

    /// Runs `body`, reporting a thrown error through the module's host.
    static func guarded(_ instance: ModuleInstance, _ error: OpaquePointer?, _ body: () throws -> Void) -> zoo_status {
        do {
            try body()
            return ZOO_OK
        } catch let failure {
            return instance.host.report(PluginError.from(failure, module: instance.name), into: error)
        }
    }

    static let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { module in
        guard let module else { return }
        Unmanaged<ModuleInstance>.fromOpaque(module).release()
    }

    static let outputShapes: @convention(c) (
        UnsafeMutableRawPointer?, Int32, UnsafePointer<zoo_shape>?, Int32, UnsafeMutablePointer<zoo_shape>?, OpaquePointer?
    ) -> zoo_status = { module, inputCount, inputs, outputCount, outputs, error in
        guard let module else { return ZOO_ERROR_INVALID_ARGUMENT }
        let instance = instance(module)
        return guarded(instance, error) {
            guard inputCount >= 0, outputCount >= 0, inputCount == 0 || inputs != nil, outputCount == 0 || outputs != nil else {
                throw PluginError.invalidArgument("\(instance.name): output_shapes with a bad count or a null array")
            }
            var shapes: [[Int]] = []
            for index in 0..<Int(inputCount) {
                let shape = inputs![index]
                guard shape.rank >= 0 && shape.rank <= ZOO_MAX_RANK else {
                    throw PluginError.shape("\(instance.name): input \(index) has rank \(shape.rank); ranks 0...\(ZOO_MAX_RANK) are supported")
                }
                let dims = withUnsafeBytes(of: shape.dims) { Array($0.bindMemory(to: Int64.self).prefix(Int(shape.rank))) }
                guard dims.allSatisfy({ $0 >= 0 }) else {
                    throw PluginError.shape("\(instance.name): input \(index) has a negative extent in \(dims)")
                }
                shapes.append(dims.map { Int($0) })
            }
            let results = try instance.outputShapes(for: shapes)
            guard results.count == Int(outputCount) else {
                throw PluginError.invalidArgument("\(instance.name): expected \(results.count) output(s), got \(outputCount)")
            }
            for (index, result) in results.enumerated() {
                var shape = zoo_shape()
                shape.rank = Int32(result.count)
                withUnsafeMutableBytes(of: &shape.dims) { raw in
                    let dims = raw.bindMemory(to: Int64.self)
                    for (axis, extent) in result.enumerated() { dims[axis] = Int64(extent) }
                }
                outputs![index] = shape
            }
        }
    }

    static let forward: @convention(c) (
        UnsafeMutableRawPointer?, zoo_mode, Int32, UnsafePointer<DLTensor>?, Int32, UnsafeMutablePointer<DLTensor>?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, OpaquePointer?
    ) -> zoo_status = { module, mode, inputCount, inputs, outputCount, outputs, state, error in
        state?.pointee = nil
        guard let module else { return ZOO_ERROR_INVALID_ARGUMENT }
        let instance = instance(module)
        return guarded(instance, error) {
            guard let saved = try instance.forward(
                mode: mode, inputCount: inputCount, inputs: inputs, outputCount: outputCount, outputs: outputs)
            else { return }
            guard let state else {
                throw PluginError.invalidArgument("\(instance.name): a training forward needs a place for its state")
            }
            state.pointee = Unmanaged.passRetained(saved).toOpaque()
        }
    }

    static let backward: @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<DLTensor>?,
        Int32, UnsafeMutablePointer<DLTensor>?, Int32, UnsafeMutablePointer<DLTensor>?, OpaquePointer?
    ) -> zoo_status = { module, state, outputCount, outputGradients, inputCount, inputGradients,
                        parameterCount, parameterGradients, error in
        guard let module else { return ZOO_ERROR_INVALID_ARGUMENT }
        let instance = instance(module)
        return guarded(instance, error) {
            guard let state else {
                throw PluginError.invalidArgument(
                    "\(instance.name): backward without state (run forward in ZOO_MODE_TRAIN first)")
            }
            let saved = Unmanaged<ForwardState>.fromOpaque(state).takeUnretainedValue()
            try instance.backward(
                state: saved, outputCount: outputCount, outputGradients: outputGradients,
                inputCount: inputCount, inputGradients: inputGradients,
                parameterCount: parameterCount, parameterGradients: parameterGradients)
        }
    }

    static let releaseState: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, state in
        guard let state else { return }
        Unmanaged<ForwardState>.fromOpaque(state).release()
    }

    static let parameterCount: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { module in
        guard let module else { return 0 }
        return Int32(clamping: instance(module).exposed.count)
    }

    static let parameters: @convention(c) (
        UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<zoo_named_tensor>?, OpaquePointer?
    ) -> zoo_status = { module, capacity, parameters, error in
        guard let module else { return ZOO_ERROR_INVALID_ARGUMENT }
        let instance = instance(module)
        return guarded(instance, error) { try instance.listParameters(capacity: capacity, into: parameters) }
    }
}
