import CFFI
import Foundation

enum ScalarValue {
    case int32(Int32), int64(Int64), float(Float), double(Double), uint8(UInt8)
}

/// A libffi call interface prepared once: `pointers` buffer arguments, then the element count,
/// then the scalar values fixed at preparation.
final class PreparedCall: @unchecked Sendable {
    private let function: UnsafeMutableRawPointer
    private let pointers: Int
    private var cif = ffi_cif()
    private let types: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    /// Storage for every argument value; `slots[i]` points at argument i.
    private let storage: UnsafeMutableRawPointer
    private let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let lock = NSLock()

    init(function: UnsafeMutableRawPointer, pointers: Int, values: [ScalarValue]) throws {
        self.function = function
        self.pointers = pointers
        let count = pointers + 1 + values.count
        types = .allocate(capacity: count)
        slots = .allocate(capacity: count)
        storage = .allocate(byteCount: 8 * count, alignment: 8)
        for index in 0..<pointers {
            types[index] = zoo_ffi_type_pointer()
            slots[index] = storage + 8 * index
        }
        types[pointers] = zoo_ffi_type_sint64()
        slots[pointers] = storage + 8 * pointers
        for (offset, value) in values.enumerated() {
            let index = pointers + 1 + offset
            let slot = storage + 8 * index
            slots[index] = slot
            switch value {
            case .int32(let v): types[index] = zoo_ffi_type_sint32(); slot.storeBytes(of: v, as: Int32.self)
            case .int64(let v): types[index] = zoo_ffi_type_sint64(); slot.storeBytes(of: v, as: Int64.self)
            case .float(let v): types[index] = zoo_ffi_type_float(); slot.storeBytes(of: v, as: Float.self)
            case .double(let v): types[index] = zoo_ffi_type_double(); slot.storeBytes(of: v, as: Double.self)
            case .uint8(let v): types[index] = zoo_ffi_type_uint8(); slot.storeBytes(of: v, as: UInt8.self)
            }
        }
        let status = ffi_prep_cif(&cif, FFI_DEFAULT_ABI, UInt32(count), zoo_ffi_type_void(), types)
        guard status == FFI_OK else { throw ForeignFunctionError("libffi could not prepare the call (status \(status.rawValue))") }
    }

    deinit {
        types.deallocate()
        slots.deallocate()
        storage.deallocate()
    }

    /// Calls the function with these buffers and element count (one call per tensor).
    func call(_ buffers: [UnsafeMutableRawPointer], count: Int) {
        precondition(buffers.count == pointers, "[foreign call] \(buffers.count) buffers for \(pointers) pointer parameters")
        lock.lock()
        defer { lock.unlock() }
        for (index, buffer) in buffers.enumerated() { (storage + 8 * index).storeBytes(of: buffer, as: UnsafeMutableRawPointer.self) }
        (storage + 8 * pointers).storeBytes(of: Int64(count), as: Int64.self)
        ffi_call(&cif, unsafeBitCast(function, to: (@convention(c) () -> Void).self), nil, slots)
    }
}
