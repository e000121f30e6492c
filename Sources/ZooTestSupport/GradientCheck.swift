import XCTest
import ZooTensor

/// Checks the derivative rules behind `function` against central finite differences.
///
/// The objective is `Σ function(inputs) · upstream` with a fixed random `upstream`, accumulated in
/// Double; each input element is nudged by ±`step`. Passes when, for every input,
/// `‖analytic − numeric‖ / ‖numeric‖ < tolerance`.
public func checkGradients(
    _ inputs: [Tensor], step: Float = 1e-2, tolerance: Double = 1e-2, seed: UInt64 = 7,
    file: StaticString = #filePath, line: UInt = #line,
    _ function: ([Tensor]) -> Tensor
) {
    for input in inputs { input.requiresGrad = true; input.grad = nil }
    let output = function(inputs)
    var generator = RandomGenerator(seed: seed)
    let upstream = Tensor.normal(output.shape, generator: &generator)
    (output * upstream).sum().backward()

    func objective() -> Double {
        withoutGradients {
            let value = function(inputs)
            var total = 0.0
            for (a, b) in zip(value.scalars, upstream.scalars) { total += Double(a) * Double(b) }
            return total
        }
    }
    for (position, input) in inputs.enumerated() {
        var numeric = [Float](repeating: 0, count: input.count)
        for index in 0..<input.count {
            let original = input.withScalars { $0[index] }
            input.withMutableScalars { $0[index] = original + step }
            let plus = objective()
            input.withMutableScalars { $0[index] = original - step }
            let minus = objective()
            input.withMutableScalars { $0[index] = original }
            numeric[index] = Float((plus - minus) / (2 * Double(step)))
        }
        let analytic = input.grad?.scalars ?? [Float](repeating: 0, count: input.count)
        let error = relativeError(analytic, numeric)
        XCTAssert(error < tolerance,
                  "gradient of input \(position) (shape \(input.shape)): relative error \(error) not below \(tolerance)",
                  file: file, line: line)
    }
}

/// A tensor of normal samples from a fixed seed.
public func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.normal(shape, standardDeviation: scale, generator: &generator)
}
