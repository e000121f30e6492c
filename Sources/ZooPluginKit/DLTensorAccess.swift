import CZooPlugin
import ZooTensor

/// Reading and writing the DLPack tensors that cross the ABI: dense, row-major, on the CPU.
enum DLTensors {
    /// A valid address for empty tensors, whose `data` may be NULL.
    nonisolated(unsafe) static let emptyFloats = UnsafeMutablePointer<Float>.allocate(capacity: 1)

    static func isFloat32(_ type: DLDataType) -> Bool {
        UInt32(type.code) == kDLFloat.rawValue && type.bits == 32 && type.lanes == 1
    }

    static func isInteger(_ type: DLDataType) -> Bool {
        UInt32(type.code) == kDLInt.rawValue && (type.bits == 64 || type.bits == 32) && type.lanes == 1
    }

    static func describe(_ type: DLDataType) -> String {
        let code: String
        switch UInt32(type.code) {
        case kDLInt.rawValue: code = "int"
        case kDLUInt.rawValue: code = "uint"
        case kDLFloat.rawValue: code = "float"
        case kDLBfloat.rawValue: code = "bfloat"
        default: code = "code \(type.code) "
        }
        return type.lanes == 1 ? "\(code)\(type.bits)" : "\(code)\(type.bits)x\(type.lanes)"
    }

    static let float32 = DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 1)

    /// The shape of `tensor`, after checking what the kit relies on: CPU, a sane rank and extents,
    /// dense row-major strides. `role` names the tensor in messages ("focal-loss: input 0").
    static func shape(of tensor: DLTensor, role: String) throws -> [Int] {
        guard tensor.device.device_type == kDLCPU else {
            throw PluginError.unsupported(
                "\(role) is on device type \(tensor.device.device_type.rawValue); only kDLCPU tensors are supported")
        }
        let rank = Int(tensor.ndim)
        guard rank >= 0 && rank <= Int(ZOO_MAX_RANK) else {
            throw PluginError.shape("\(role) has rank \(rank); ranks 0...\(ZOO_MAX_RANK) are supported")
        }
        guard rank == 0 || tensor.shape != nil else {
            throw PluginError.invalidArgument("\(role) has rank \(rank) but no shape array")
        }
        var shape: [Int] = []
        shape.reserveCapacity(rank)
        for axis in 0..<rank {
            guard let extent = Int(exactly: tensor.shape![axis]), extent >= 0 else {
                throw PluginError.shape("\(role) has extent \(tensor.shape![axis]) on axis \(axis)")
            }
            shape.append(extent)
        }
        guard elementCount(shape) != nil else {
            throw PluginError.shape("\(role) of shape \(shape) has too many elements")
        }
        if let strides = tensor.strides {
            let dense = shape.rowMajorStrides
            for axis in 0..<rank where shape[axis] > 1 && Int(strides[axis]) != dense[axis] {
                let given = (0..<rank).map { strides[$0] }
                throw PluginError.unsupported(
                    "\(role) of shape \(shape) has strides \(given); only dense row-major tensors (strides \(dense) or NULL) are supported")
            }
        }
        return shape
    }

    /// The element count of `shape`, or nil when it overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The first element's address, checked for presence when there are elements.
    static func base(of tensor: DLTensor, count: Int, role: String) throws -> UnsafeMutableRawPointer? {
        guard let data = tensor.data else {
            guard count == 0 else { throw PluginError.invalidArgument("\(role) has \(count) elements but no data") }
            return nil
        }
        return data + Int(tensor.byte_offset)
    }

    /// A float tensor over `tensor`'s memory, without copying (valid while that memory is).
    static func borrowFloats(_ tensor: DLTensor, shape: [Int], role: String) throws -> Tensor {
        guard isFloat32(tensor.dtype) else {
            throw PluginError.unsupported("\(role) has dtype \(describe(tensor.dtype)); expected float32")
        }
        let count = shape.elementCount
        let pointer = try base(of: tensor, count: count, role: role)?.assumingMemoryBound(to: Float.self)
        return Tensor(shape: shape, storage: TensorStorage(borrowing: pointer ?? emptyFloats, count: count, owner: nil))
    }

    /// Integer labels (int64, or int32) as `[Int]`.
    static func readLabels(_ tensor: DLTensor, shape: [Int], role: String) throws -> [Int] {
        guard isInteger(tensor.dtype) else {
            throw PluginError.unsupported("\(role) (labels) has dtype \(describe(tensor.dtype)); expected int64")
        }
        let count = shape.elementCount
        guard let base = try base(of: tensor, count: count, role: role) else { return [] }
        if tensor.dtype.bits == 64 {
            let values = base.assumingMemoryBound(to: Int64.self)
            return (0..<count).map { Int(values[$0]) }
        }
        let values = base.assumingMemoryBound(to: Int32.self)
        return (0..<count).map { Int(values[$0]) }
    }

    /// Writes `source` (or zeros when nil) into a host float buffer of shape `expected`.
    static func write(_ source: Tensor?, into target: DLTensor, expected: [Int], role: String) throws {
        let shape = try shape(of: target, role: role)
        guard shape == expected else {
            throw PluginError.invalidArgument("\(role) has shape \(shape); expected \(expected)")
        }
        guard isFloat32(target.dtype) else {
            throw PluginError.unsupported("\(role) has dtype \(describe(target.dtype)); expected float32")
        }
        let count = expected.elementCount
        guard let base = try base(of: target, count: count, role: role) else { return }
        let destination = base.assumingMemoryBound(to: Float.self)
        if let source {
            guard source.count == count else {
                throw PluginError.internal("\(role): \(source.count) values for \(count) elements")
            }
            destination.update(from: source.storage.pointer, count: count)
        } else {
            destination.update(repeating: 0, count: count)
        }
    }

    /// Zero-fills a gradient buffer of any numeric dtype (the gradient of a labels input).
    static func zeroFill(_ target: DLTensor, role: String) throws {
        let shape = try shape(of: target, role: role)
        let count = shape.elementCount
        guard let base = try base(of: target, count: count, role: role) else { return }
        let bytes = count * ((Int(target.dtype.bits) * Int(target.dtype.lanes) + 7) / 8)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }
}
