import ZooTensor

/// A neural-network module: named parameters, named buffers and named children, as PyTorch's
/// `nn.Module`. Names compose with dots into `state_dict` keys (`layer1.0.bn1.running_mean`).
///
/// Subclasses list what they own by overriding `namedChildren`, `namedLocalParameters` and
/// `namedLocalBuffers`, under the names PyTorch uses for the same structure.
open class Module {
    /// Training mode (dropout active, batch statistics) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// Direct sub-modules, in registration order.
    open var namedChildren: [(String, Module)] { [] }
    /// Parameters this module owns directly (not its children's).
    open var namedLocalParameters: [(String, Tensor)] { [] }
    /// Buffers this module owns directly (running statistics and the like).
    open var namedLocalBuffers: [(String, Tensor)] { [] }

    /// Every parameter of this module and its descendants, under its dotted `state_dict` key.
    public func namedParameters(prefix: String = "") -> [(String, Tensor)] {
        namedLocalParameters.map { (prefix + $0.0, $0.1) }
            + namedChildren.flatMap { $0.1.namedParameters(prefix: prefix + $0.0 + ".") }
    }

    /// Every buffer of this module and its descendants, under its dotted `state_dict` key.
    public func namedBuffers(prefix: String = "") -> [(String, Tensor)] {
        namedLocalBuffers.map { (prefix + $0.0, $0.1) }
            + namedChildren.flatMap { $0.1.namedBuffers(prefix: prefix + $0.0 + ".") }
    }

    public var parameters: [Tensor] { namedParameters().map(\.1) }

    /// Parameters then buffers, keyed as PyTorch's `state_dict()`.
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(namedParameters() + namedBuffers(), uniquingKeysWith: { first, _ in first })
    }

    /// Sets training or evaluation mode here and in every descendant.
    public func setTraining(_ training: Bool) {
        isTraining = training
        for (_, child) in namedChildren { child.setTraining(training) }
    }

    /// Clears the gradients of every parameter.
    public func clearGradients() {
        for parameter in parameters { parameter.grad = nil }
    }
}

/// A module that maps one tensor to one tensor.
open class Layer: Module {
    open func forward(_ input: Tensor) -> Tensor {
        fatalError("\(type(of: self)) must override forward(_:)")
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input) }
}
