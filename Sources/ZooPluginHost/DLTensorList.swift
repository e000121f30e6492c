import CZooPlugin
import ZooTensor

/// `DLTensor` descriptors over host tensors for one call into a plug-in (no copies), and host
/// tensors over plug-in memory.
struct DLTensorList {
    let pointer: UnsafeMutablePointer<DLTensor>
    let count: Int

    /// Describes `tensors` (float32, row-major, CPU) and, when given, `labels` as a trailing int64
    /// tensor, for the duration of `body`.
    static func with<Result>(_ tensors: [Tensor], labels: [Int64]? = nil,
                             _ body: (DLTensorList) throws -> Result) rethrows -> Result {
        try with(optional: tensors, labels: labels, body)
    }

    /// As `with`, where a nil tensor is described with `data == NULL` (a gradient not needed).
    static func with<Result>(optional tensors: [Tensor?], labels: [Int64]? = nil,
                             _ body: (DLTensorList) throws -> Result) rethrows -> Result {
        let count = tensors.count + (labels == nil ? 0 : 1)
        let descriptors = UnsafeMutablePointer<DLTensor>.allocate(capacity: Swift.max(count, 1))
        let shapeCount = tensors.reduce(0) { $0 + ($1?.rank ?? 0) } + 1
        let shapes = UnsafeMutablePointer<Int64>.allocate(capacity: shapeCount)
        defer {
            descriptors.deallocate()
            shapes.deallocate()
        }
        var next = shapes
        for (index, tensor) in tensors.enumerated() {
            let shape = tensor?.shape ?? []
            for (axis, extent) in shape.enumerated() { next[axis] = Int64(extent) }
            descriptors[index] = DLTensor(
                data: tensor.map { UnsafeMutableRawPointer($0.storage.pointer) }, device: DLDevice(device_type: kDLCPU, device_id: 0),
                ndim: Int32(shape.count), dtype: DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 1),
                shape: next, strides: nil, byte_offset: 0)
            next += shape.count
        }
        guard var labels else { return try body(DLTensorList(pointer: descriptors, count: count)) }
        return try labels.withUnsafeMutableBufferPointer { values in
            var extent = Int64(values.count)
            return try withUnsafeMutablePointer(to: &extent) { extentPointer in
                descriptors[tensors.count] = DLTensor(
                    data: values.baseAddress.map { UnsafeMutableRawPointer($0) }, device: DLDevice(device_type: kDLCPU, device_id: 0),
                    ndim: 1, dtype: DLDataType(code: UInt8(kDLInt.rawValue), bits: 64, lanes: 1),
                    shape: extentPointer, strides: nil, byte_offset: 0)
                return try body(DLTensorList(pointer: descriptors, count: count))
            }
        }
    }

    /// A host tensor over a plug-in's float32 memory (a parameter or buffer), kept valid by `owner`.
    static func borrow(_ descriptor: DLTensor, owner: AnyObject, context: String) throws -> Tensor {
        let dtype = descriptor.dtype
        guard let data = descriptor.data, descriptor.device.device_type == kDLCPU,
              dtype.code == UInt8(kDLFloat.rawValue), dtype.bits == 32, dtype.lanes == 1,
              descriptor.strides == nil, descriptor.byte_offset == 0, descriptor.ndim >= 0,
              descriptor.ndim == 0 || descriptor.shape != nil else {
            throw PluginCallError(status: ZOO_ERROR_UNSUPPORTED,
                                  message: "\(context): expected dense float32 CPU memory (dtype code \(dtype.code), "
                                      + "\(dtype.bits) bits, device \(descriptor.device.device_type.rawValue))")
        }
        let shape = (0..<Int(descriptor.ndim)).map { Int(descriptor.shape[$0]) }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw PluginCallError(status: ZOO_ERROR_SHAPE, message: "\(context): negative extent in \(shape)")
        }
        let storage = TensorStorage(borrowing: data.assumingMemoryBound(to: Float.self), count: shape.elementCount, owner: owner)
        return Tensor(shape: shape, storage: storage)
    }
}

extension zoo_shape {
    /// A shape of at most `ZOO_MAX_RANK` axes.
    init(_ shape: [Int], module: String) throws {
        guard shape.count <= Int(ZOO_MAX_RANK) else {
            throw PluginCallError(status: ZOO_ERROR_SHAPE,
                                  message: "module \"\(module)\": rank \(shape.count) exceeds the ABI's \(ZOO_MAX_RANK)")
        }
        self.init()
        rank = Int32(shape.count)
        withUnsafeMutableBytes(of: &dims) { raw in
            for (axis, extent) in shape.enumerated() { raw.storeBytes(of: Int64(extent), toByteOffset: 8 * axis, as: Int64.self) }
        }
    }

    /// The extents this shape holds; a rank outside `0...ZOO_MAX_RANK` or a negative extent is the
    /// plug-in's error.
    func extents(module: String) throws -> [Int] {
        guard rank >= 0 && rank <= Int32(ZOO_MAX_RANK) else {
            throw PluginCallError(status: ZOO_ERROR_SHAPE, message: "module \"\(module)\": output shape of rank \(rank)")
        }
        var copy = dims
        let extents = withUnsafeBytes(of: &copy) { raw in
            (0..<Int(rank)).map { Int(raw.load(fromByteOffset: 8 * $0, as: Int64.self)) }
        }
        guard extents.allSatisfy({ $0 >= 0 }) else {
            throw PluginCallError(status: ZOO_ERROR_SHAPE, message: "module \"\(module)\": output shape \(extents) has a negative extent")
        }
        return extents
    }
}
