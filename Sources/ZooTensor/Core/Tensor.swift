/// A dense, row-major float32 tensor that can take part in reverse-mode automatic differentiation.
///
/// Tensors have reference semantics, like PyTorch's: a parameter updated in place by an optimiser
/// is seen by every module that holds it. Ops never mutate their inputs; they return new tensors.
///
/// ```swift
/// let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: true)
/// let y = (x * x).sum()
/// y.backward()          // x.grad == 2 * x
/// ```
public final class Tensor: @unchecked Sendable {
    /// The extent of each axis; `[]` is a scalar.
    public let shape: [Int]
    /// The elements, shared with reshaped views.
    public let storage: TensorStorage
    /// Whether gradients flow to this tensor. Leaves with this set collect `grad`.
    public var requiresGrad: Bool
    /// The accumulated gradient of a leaf after `backward()`; same shape as the tensor.
    public var grad: Tensor?
    /// How this tensor was computed, when it was computed from tensors that require gradients.
    public internal(set) var gradientNode: GradientNode?

    /// Wraps existing storage (no copy).
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "[Tensor] negative extent in shape \(shape)")
        precondition(
            storage.count == shape.elementCount,
            "[Tensor] shape \(shape) needs \(shape.elementCount) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor with the given elements in row-major order.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        precondition(
            scalars.count == shape.elementCount,
            "[Tensor] shape \(shape) needs \(shape.elementCount) elements, got \(scalars.count)")
        let storage = TensorStorage(count: scalars.count)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: $0.count) }
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        let storage = TensorStorage(count: shape.elementCount)
        storage.pointer.initialize(repeating: value, count: storage.count)
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A rank-0 tensor.
    public convenience init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// A new tensor of this shape whose elements are not yet set (the caller fills every one).
    public static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.elementCount))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.elementCount, zeroed: true),
               requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(repeating: 1, shape: shape, requiresGrad: requiresGrad)
    }

    public var rank: Int { shape.count }
    public var count: Int { storage.count }

    /// The elements in row-major order (a copy).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "[item] tensor of shape \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }

    /// Read-only access to the elements.
    @inlinable
    public func withScalars<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// In-place access to the elements: for optimisers, loaders and kernels, never inside a graph.
    @inlinable
    public func withMutableScalars<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Overwrites the elements with those of `source`, which must have the same element count.
    public func assign(_ source: Tensor) {
        precondition(source.count == count,
                     "[assign] source of shape \(source.shape) into tensor of shape \(shape)")
        storage.pointer.update(from: source.storage.pointer, count: count)
    }

    /// A copy that shares nothing and is cut from the graph.
    public func copied() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.storage.pointer.update(from: storage.pointer, count: count)
        return result
    }

    /// The same elements, cut from the graph (shares storage, like PyTorch's `detach`).
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
