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
