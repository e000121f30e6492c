/// What an inference convolution does to each output channel while the product is still in cache:
/// `y = x·scale + shift` (an eval-mode batch norm folded in), plus a residual, then a ReLU.
public struct ConvolutionEpilogue {
    /// Per output channel.
    public var scale: [Float]
    /// Per output channel.
    public var shift: [Float]
    /// Added after the affine map; the convolution's output shape.
    public var residual: Tensor?
    public var relu: Bool

    public init(scale: [Float], shift: [Float], residual: Tensor? = nil, relu: Bool = false) {
        precondition(scale.count == shift.count, "[conv2d epilogue] \(scale.count) scales, \(shift.count) shifts")
        (self.scale, self.shift, self.residual, self.relu) = (scale, shift, residual, relu)
    }

    /// Applies the epilogue to one sample's output `[O, plane]` in place.
    func apply(sample s: Int, plane: Int, to output: UnsafeMutablePointer<Float>) {
        let channels = scale.count
        for o in 0..<channels {
            let line = output + o * plane
            if let residual {
                VectorKernels.affine(line, plane, a: scale[o], b: shift[o], adding: residual.storage.pointer + (s * channels + o) * plane,
                                     relu: relu, into: line)
            } else {
                VectorKernels.affine(line, plane, a: scale[o], b: shift[o], relu: relu, into: line)
            }
        }
    }
}

extension Tensor {
    /// `conv2d` whose output goes through `epilogue` in the same pass over memory: for inference
    /// (eval-mode batch norm, the residual and the ReLU of a ResNet block cost almost nothing then).
    ///
    /// It records no gradient, so it may be called only where no gradient is wanted.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, geometry: Convolution2DGeometry = .init(),
                              epilogue: ConvolutionEpilogue) -> Tensor {
        let inputs = [x, weight] + [bias, epilogue.residual].compactMap { $0 }
        precondition(!GradientMode.isEnabled || !inputs.contains { $0.requiresGrad },
                     "[conv2d] an epilogue records no gradient: call it without gradients (withoutGradients)")
        let plan = ConvolutionPlan(input: x.shape, weight: weight.shape, geometry: geometry)
        let shape = [plan.batch, plan.outputChannels, plan.outputHeight, plan.outputWidth]
        precondition(epilogue.scale.count == plan.outputChannels && (epilogue.residual.map { $0.shape == shape } ?? true),
                     "[conv2d] epilogue of \(epilogue.scale.count) channels, residual \(epilogue.residual?.shape ?? []), for output \(shape)")
        if let bias { precondition(bias.shape == [plan.outputChannels], "[conv2d] bias \(bias.shape) for weight \(weight.shape)") }
        let result = Tensor.uninitialized(shape)
        OpTimer.measure(.convolution) {
            plan.forward(x.storage.pointer, weight.storage.pointer, bias?.storage.pointer, into: result.storage.pointer,
                         epilogue: epilogue)
        }
        return result
    }
}
