import CZooPlugin
import Foundation
import XCTest
import ZooTestSupport

/// A minimal host for driving plug-ins through the C ABI in tests: a `zoo_host_api` whose
/// services record what they are given, an error record, and DLPack buffers in test memory.
final class TestHost: @unchecked Sendable {
    /// The process-wide host; its table lives for the whole run, as a real host's does.
    static let shared = TestHost()

    let api: UnsafeMutablePointer<zoo_host_api>
    private let lock = NSLock()
    private var logLines: [(Int32, String)] = []
    private(set) var parallelCalls = 0

    private init() {
        api = .allocate(capacity: 1)
        api.initialize(to: zoo_host_api())
        api.pointee.struct_size = UInt32(MemoryLayout<zoo_host_api>.size)
        api.pointee.abi_major = UInt16(ZOO_ABI_MAJOR)
        api.pointee.abi_minor = UInt16(ZOO_ABI_MINOR)
        api.pointee.context = Unmanaged.passUnretained(self).toOpaque()
        api.pointee.allocate = { _, bytes in
            var pointer: UnsafeMutableRawPointer?
            return posix_memalign(&pointer, 64, Swift.max(bytes, 1)) == 0 ? pointer : nil
        }
        api.pointee.release = { _, pointer in free(pointer) }
        api.pointee.log = { context, level, message in
            guard let context, let message else { return }
            let host = Unmanaged<TestHost>.fromOpaque(context).takeUnretainedValue()
            host.lock.lock()
            host.logLines.append((level, String(cString: message)))
            host.lock.unlock()
        }
        api.pointee.set_error = { error, status, message in
            guard let error else { return }
            let record = Unmanaged<ErrorRecord>.fromOpaque(UnsafeRawPointer(error)).takeUnretainedValue()
            record.status = status
            record.message = message.map { String(cString: $0) } ?? ""
        }
        api.pointee.thread_count = 3
        api.pointee.parallel_for = { context, count, body, bodyContext in
            guard let context, let body, count > 0 else { return }
            let host = Unmanaged<TestHost>.fromOpaque(context).takeUnretainedValue()
            host.lock.lock()
            host.parallelCalls += 1
            host.lock.unlock()
            let middle = count / 2
            if middle > 0 { body(bodyContext, 0, middle) }
            body(bodyContext, middle, count)
        }
        api.pointee.seed = 1234
    }

    var pointer: UnsafePointer<zoo_host_api> { UnsafePointer(api) }

    var log: [(level: Int32, message: String)] {
        lock.lock()
        defer { lock.unlock() }
        return logLines.map { (level: $0.0, message: $0.1) }
    }
}

/// What the host's `zoo_error` holds; passed to plug-ins as an opaque `zoo_error *`.
final class ErrorRecord {
    var status: zoo_status = ZOO_OK
    var message = ""

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    func reset() {
        status = ZOO_OK
        message = ""
    }
}

/// A DLPack tensor over test-owned memory (float32 or int64), or with no data at all.
final class HostTensor {
    let shape: [Int]
    let shapeArray: UnsafeMutablePointer<Int64>
    let data: UnsafeMutableRawPointer?
    let dtype: DLDataType
    var count: Int { shape.reduce(1, *) }

    private init(shape: [Int], dtype: DLDataType, bytesPerElement: Int, allocate: Bool) {
        self.shape = shape
        self.dtype = dtype
        shapeArray = .allocate(capacity: Swift.max(shape.count, 1))
        shapeArray.initialize(repeating: 0, count: Swift.max(shape.count, 1))
        for (axis, extent) in shape.enumerated() { shapeArray[axis] = Int64(extent) }
        let bytes = Swift.max(shape.reduce(1, *) * bytesPerElement, 1)
        data = allocate ? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64) : nil
        data?.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    /// float32 elements.
    convenience init(floats: [Float], shape: [Int]) {
        self.init(shape: shape, dtype: DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 1),
                  bytesPerElement: 4, allocate: true)
        precondition(floats.count == count)
        data!.bindMemory(to: Float.self, capacity: count).update(from: floats, count: count)
    }

    /// float32 zeros (an output or gradient buffer).
    convenience init(zeros shape: [Int]) {
        self.init(floats: [Float](repeating: 0, count: shape.reduce(1, *)), shape: shape)
    }

    /// int64 elements (labels).
    convenience init(int64 values: [Int64], shape: [Int]) {
        self.init(shape: shape, dtype: DLDataType(code: UInt8(kDLInt.rawValue), bits: 64, lanes: 1),
                  bytesPerElement: 8, allocate: true)
        precondition(values.count == count)
        data!.bindMemory(to: Int64.self, capacity: count).update(from: values, count: count)
    }

    /// float64 elements (a dtype the kit refuses).
    convenience init(doubles values: [Double], shape: [Int]) {
        self.init(shape: shape, dtype: DLDataType(code: UInt8(kDLFloat.rawValue), bits: 64, lanes: 1),
                  bytesPerElement: 8, allocate: true)
        data!.bindMemory(to: Double.self, capacity: count).update(from: values, count: count)
    }

    /// A buffer with `data == NULL`: "this gradient is not wanted".
    convenience init(absent shape: [Int]) {
        self.init(shape: shape, dtype: DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 1),
                  bytesPerElement: 4, allocate: false)
    }

    deinit {
        shapeArray.deallocate()
        data?.deallocate()
    }

    var dl: DLTensor {
        DLTensor(data: data, device: DLDevice(device_type: kDLCPU, device_id: 0), ndim: Int32(shape.count),
                 dtype: dtype, shape: shapeArray, strides: nil, byte_offset: 0)
    }

    var floats: [Float] {
        guard let data else { return [] }
        return Array(UnsafeBufferPointer(start: data.assumingMemoryBound(to: Float.self), count: count))
    }
}

/// One module kind of a loaded plug-in, driven through its C function table.
struct ModuleDriver {
    let descriptor: UnsafePointer<zoo_module_descriptor>
    let error = ErrorRecord()

    var functions: zoo_module_functions { descriptor.pointee.functions.pointee }

    init(_ info: UnsafePointer<zoo_plugin_info>, named name: String) throws {
        for index in 0..<Int(info.pointee.module_count) {
            if let descriptor = info.pointee.modules[index], String(cString: descriptor.pointee.name) == name {
                self.descriptor = descriptor
                return
            }
        }
        throw MissingBuiltProduct("module \(name)", failsToLoad: "the library offers no module of that name")
    }

    /// create: the handle, or the failure's status and message.
    func create(_ json: String) -> (UnsafeMutableRawPointer?, zoo_status, String) {
        error.reset()
        var module: UnsafeMutableRawPointer?
        let status = functions.create!(TestHost.shared.pointer, json, &module, error.pointer)
        return (module, status, error.message)
    }

    func outputShapes(_ module: UnsafeMutableRawPointer, _ inputs: [[Int]], outputs count: Int) -> ([[Int]], zoo_status, String) {
        error.reset()
        let shapes: [zoo_shape] = inputs.map { dims in
            var shape = zoo_shape()
            shape.rank = Int32(dims.count)
            withUnsafeMutableBytes(of: &shape.dims) { raw in
                for (axis, extent) in dims.enumerated() { raw.bindMemory(to: Int64.self)[axis] = Int64(extent) }
            }
            return shape
        }
        var results = [zoo_shape](repeating: zoo_shape(), count: count)
        let status = functions.output_shapes!(module, Int32(shapes.count), shapes, Int32(count), &results, error.pointer)
        let dims = results.map { shape in
            withUnsafeBytes(of: shape.dims) { Array($0.bindMemory(to: Int64.self).prefix(Int(shape.rank))).map { Int($0) } }
        }
        return (dims, status, error.message)
    }

    /// Inputs of training forwards, kept for the driver's lifetime.
    private let keptInputs = KeptInputs()

    final class KeptInputs {
        var tensors: [[HostTensor]] = []
    }

    func forward(_ module: UnsafeMutableRawPointer, training: Bool, inputs: [HostTensor], outputs: [HostTensor])
        -> (UnsafeMutableRawPointer?, zoo_status, String) {
        error.reset()
        var state: UnsafeMutableRawPointer?
        let inputTensors = inputs.map(\.dl)
        var outputTensors = outputs.map(\.dl)
        let status = functions.forward!(module, training ? ZOO_MODE_TRAIN : ZOO_MODE_EVAL, Int32(inputTensors.count),
                                        inputTensors, Int32(outputTensors.count), &outputTensors, &state, error.pointer)
        // As a host must: a training forward's inputs stay alive and unchanged until its state is released.
        if training { keptInputs.tensors.append(inputs) }
        return (state, status, error.message)
    }

    func backward(_ module: UnsafeMutableRawPointer, _ state: UnsafeMutableRawPointer?, outputGradients: [HostTensor],
                  inputGradients: [HostTensor], parameterGradients: [HostTensor]) -> (zoo_status, String) {
        error.reset()
        let seeds = outputGradients.map(\.dl)
        var inputs = inputGradients.map(\.dl)
        var parameters = parameterGradients.map(\.dl)
        let status = parameters.withUnsafeMutableBufferPointer { parameterBuffer in
            functions.backward!(module, state, Int32(seeds.count), seeds, Int32(inputs.count), &inputs,
                                Int32(parameterBuffer.count), parameterBuffer.isEmpty ? nil : parameterBuffer.baseAddress,
                                error.pointer)
        }
        return (status, error.message)
    }

    func parameters(_ module: UnsafeMutableRawPointer) -> ([zoo_named_tensor], zoo_status, String) {
        error.reset()
        let count = Int(functions.parameter_count!(module))
        var list = [zoo_named_tensor](repeating: zoo_named_tensor(), count: count)
        let status = functions.parameters!(module, Int32(count), &list, error.pointer)
        return (list, status, error.message)
    }
}
