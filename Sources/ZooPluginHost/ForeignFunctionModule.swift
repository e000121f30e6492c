import CFFI
import Foundation
import ZooTensor

/// A plain C element-wise kernel from any shared library used as a module, called through libffi:
/// no glue code and no plug-in. The call is prepared once (`ffi_prep_cif`) and made once per
/// forward or backward over the whole buffer, never per element.
///
/// ```swift
/// let activation = try ForeignFunctionModule(ForeignFunctionSpecification(
///     library: "/opt/kernels/libact.so", symbol: "leaky", signature: "void(const float*, float*, int64_t, float)",
///     derivativeSymbol: "leaky_grad",
///     derivativeSignature: "void(const float*, const float*, float*, int64_t, float)",
///     arguments: [.number(0.1)]))
/// let y = activation(x)   // gradients flow through leaky_grad
/// ```
public final class ForeignFunctionModule: @unchecked Sendable {
    public let specification: ForeignFunctionSpecification
    private let library: UnsafeMutableRawPointer
    private let forwardCall: PreparedCall
    private let derivativeCall: PreparedCall?

    public init(_ specification: ForeignFunctionSpecification) throws {
        self.specification = specification
        let forwardSignature = try ForeignSignature(parsing: specification.signature, as: .forward)
        let derivativeSignature = try specification.derivativeSignature.map {
            try ForeignSignature(parsing: $0, as: .derivative)
        }
        if let derivativeSignature, derivativeSignature.scalars != forwardSignature.scalars {
            throw ForeignFunctionError("derivative `\(specification.derivativeSymbol ?? "")` takes scalars "
                + "(\(derivativeSignature.scalars.map(\.rawValue).joined(separator: ", "))) but `\(specification.symbol)` takes "
                + "(\(forwardSignature.scalars.map(\.rawValue).joined(separator: ", "))); they must match")
        }
        if (specification.derivativeSymbol == nil) != (specification.derivativeSignature == nil) {
            throw ForeignFunctionError("a derivative needs both a symbol and a signature")
        }
        let values = try ForeignFunctionModule.scalarValues(specification.arguments, forwardSignature.scalars,
                                                           symbol: specification.symbol)
        guard let handle = dlopen(specification.library, RTLD_NOW | RTLD_LOCAL) else {
            throw ForeignFunctionError("cannot load \(specification.library): \(String(cString: dlerror()))")
        }
        library = handle
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else {
                throw ForeignFunctionError("\(specification.library) has no symbol `\(name)`")
            }
            return address
        }
        forwardCall = try PreparedCall(function: symbol(specification.symbol), pointers: 2, values: values)
        derivativeCall = try specification.derivativeSymbol.map {
            try PreparedCall(function: symbol($0), pointers: 3, values: values)
        }
    }

    deinit { dlclose(library) }

    /// Applies the kernel element-wise. Gradients flow when a derivative was given; without one,
    /// an input that requires gradients is a programming error reported with the symbol's name.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let output = Tensor.uninitialized(input.shape)
        forwardCall.call([UnsafeMutableRawPointer(input.storage.pointer), UnsafeMutableRawPointer(output.storage.pointer)],
                         count: input.count)
        guard GradientMode.isEnabled, input.requiresGrad else { return output }
        guard let derivativeCall else {
            preconditionFailure("[\(specification.symbol)] no derivative was given, so gradients cannot flow through it")
        }
        let saved = input.detached()
        return Tensor.recordCustom(output, op: specification.symbol, inputs: [input]) { upstream, _ in
            let gradient = Tensor.uninitialized(saved.shape)
            derivativeCall.call([UnsafeMutableRawPointer(saved.storage.pointer), UnsafeMutableRawPointer(upstream.storage.pointer),
                                 UnsafeMutableRawPointer(gradient.storage.pointer)], count: saved.count)
            return [gradient]
        }
    }

    /// Converts the manifest's values to the declared scalar types, checking count and range.
    static func scalarValues(_ values: [ForeignArgument], _ types: [ForeignSignature.Scalar],
                             symbol: String) throws -> [ScalarValue] {
        guard values.count == types.count else {
            throw ForeignFunctionError("`\(symbol)` takes \(types.count) scalar argument(s) "
                + "(\(types.map(\.rawValue).joined(separator: ", "))), the manifest gives \(values.count)")
        }
        return try zip(values, types).enumerated().map { index, pair in
            let (value, type) = pair
            func mismatch() -> ForeignFunctionError {
                ForeignFunctionError("argument \(index + 1) of `\(symbol)` is \(type.rawValue), the manifest gives \(value)")
            }
            switch (type, value) {
            case (.bool, .bool(let flag)): return .uint8(flag ? 1 : 0)
            case (.float, .number(let number)): return .float(Float(number))
            case (.double, .number(let number)): return .double(number)
            case (.int32, .number(let number)):
                guard let exact = Int32(exactly: number) else { throw mismatch() }
                return .int32(exact)
            case (.int64, .number(let number)):
                guard let exact = Int64(exactly: number) else { throw mismatch() }
                return .int64(exact)
            default: throw mismatch()
            }
        }
    }
}

/// Where a foreign kernel lives, its signature, its optional derivative, and its scalar arguments.
public struct ForeignFunctionSpecification: Equatable, Sendable {
    public var library: String
    public var symbol: String
    public var signature: String
    public var derivativeSymbol: String?
    public var derivativeSignature: String?
    public var arguments: [ForeignArgument]

    public init(library: String, symbol: String, signature: String, derivativeSymbol: String? = nil,
                derivativeSignature: String? = nil, arguments: [ForeignArgument] = []) {
        (self.library, self.symbol, self.signature) = (library, symbol, signature)
        (self.derivativeSymbol, self.derivativeSignature, self.arguments) = (derivativeSymbol, derivativeSignature, arguments)
    }
}

/// A scalar argument's value as a manifest gives it.
public enum ForeignArgument: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .number(let number): "\(number)"
        case .bool(let flag): "\(flag)"
        }
    }
}

enum ScalarValue {
    case int32(Int32), int64(Int64), float(Float), double(Double), uint8(UInt8)
}

/// A libffi call interface prepared once: `pointers` buffer arguments, then the element count,
/// then the scalar values fixed at preparation.
private final class PreparedCall: @unchecked Sendable {
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

extension ForeignFunctionSpecification {
    /// Reads a manifest's description of a foreign kernel:
    ///
    ///     {"library": "/opt/kernels/libact.so", "symbol": "leaky",
    ///      "signature": "void(const float*, float*, int64_t, float)",
    ///      "derivative": {"symbol": "leaky_grad", "signature": "void(const float*, const float*, float*, int64_t, float)"},
    ///      "arguments": [0.1]}
    ///
    /// Errors name the key path under `path` (e.g. `model.activation.arguments[1]`).
    public init(json: JSONValue, path: String = "") throws {
        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        func string(_ value: JSONValue?, _ name: String) throws -> String {
            guard case .string(let text)? = value else {
                throw ForeignFunctionError("\(key(name)): expected a string, found \(value.map { $0.jsonText } ?? "nothing")")
            }
            return text
        }
        guard case .object(let members) = json else { throw ForeignFunctionError("\(path.isEmpty ? "foreign function" : path): expected an object") }
        let known: Set<String> = ["library", "symbol", "signature", "derivative", "arguments"]
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw ForeignFunctionError("\(key(unknown.key)): unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        var derivativeSymbol: String?, derivativeSignature: String?
        if let derivative = json["derivative"] {
            derivativeSymbol = try string(derivative["symbol"], "derivative.symbol")
            derivativeSignature = try string(derivative["signature"], "derivative.signature")
        }
        var arguments: [ForeignArgument] = []
        if let given = json["arguments"] {
            guard case .array(let values) = given else { throw ForeignFunctionError("\(key("arguments")): expected an array") }
            arguments = try values.enumerated().map { index, value in
                switch value {
                case .bool(let flag): return .bool(flag)
                default:
                    guard let number = value.doubleValue else {
                        throw ForeignFunctionError("\(key("arguments"))[\(index)]: expected a number or a boolean, found \(value.jsonText)")
                    }
                    return .number(number)
                }
            }
        }
        self.init(library: try string(json["library"], "library"), symbol: try string(json["symbol"], "symbol"),
                  signature: try string(json["signature"], "signature"), derivativeSymbol: derivativeSymbol,
                  derivativeSignature: derivativeSignature, arguments: arguments)
    }
}
