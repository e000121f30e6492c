import XCTest
import ZooTensor

/// The relative error `‖actual − expected‖ / ‖expected‖` (absolute when `expected` is zero).
public func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
    precondition(actual.count == expected.count, "relativeError: \(actual.count) vs \(expected.count) elements")
    var difference = 0.0, reference = 0.0
    for (a, e) in zip(actual, expected) {
        difference += Double(a - e) * Double(a - e)
        reference += Double(e) * Double(e)
    }
    return reference == 0 ? difference.squareRoot() : (difference / reference).squareRoot()
}

/// Fails (at the caller's line) unless the shapes agree and the relative error is below `tolerance`.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, tolerance: Double, _ label: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.shape == expected.shape else {
        XCTFail("\(label()): shape \(actual.shape) differs from expected \(expected.shape)", file: file, line: line)
        return
    }
    let error = relativeError(actual.scalars, expected.scalars)
    XCTAssert(error < tolerance, "\(label()): relative error \(error) not below \(tolerance)", file: file, line: line)
}

public func assertClose(
    _ actual: [Float], _ expected: [Float], tolerance: Double, _ label: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(label()): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
        return
    }
    let error = relativeError(actual, expected)
    XCTAssert(error < tolerance, "\(label()): relative error \(error) not below \(tolerance)", file: file, line: line)
}
