import Foundation
import XCTest
import ZooOptim
import ZooTensor

/// Tests/Fixtures/optim.safetensors, written by Tests/Fixtures/scripts/make_optim_fixture.py:
/// three parameters, four steps of gradients, and the parameters after each step of every case.
struct OptimFixture {
    static let parameterCount = 3
    static let stepCount = 4
    /// In the `…_skip` cases parameter 1 has no gradient at these steps.
    static let skippedParameter = 1
    static let skippedSteps: Set<Int> = [0, 2]

    let archive: SafeTensorsArchive

    init() throws {
        archive = try SafeTensorsArchive(contentsOf: Self.url)
    }

    /// The fixture, found from this file by going up to the package root.
    static var url: URL {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            let parent = folder.deletingLastPathComponent()
            precondition(parent.path != folder.path, "no Package.swift above \(#filePath)")
            folder = parent
        }
        return folder.appendingPathComponent("Tests/Fixtures/optim.safetensors")
    }

    /// Fresh copies of the initial parameters (the archive's tensors are never mutated).
    func initialParameters() throws -> [Tensor] {
        try (0..<Self.parameterCount).map { try archive.tensor("input.param.\($0)").copied() }
    }

    /// A fresh copy of the gradient of parameter `index` at `step`.
    func gradient(step: Int, parameter index: Int) throws -> Tensor {
        try archive.tensor("input.grad.\(step).\(index)").copied()
    }

    /// Runs the fixture's four steps of case `name` on an optimiser made by `make` from the
    /// initial parameters, comparing every parameter after every step with PyTorch's.
    ///
    /// Checks ‖ours − ref‖/‖ref‖ of the parameters against `tolerance` and, more sharply, of the
    /// displacement from the initial value against `displacementTolerance`.
    func check(
        _ name: String, tolerance: Double, displacementTolerance: Double, skip: Bool = false,
        file: StaticString = #filePath, line: UInt = #line,
        make: ([Tensor]) -> any Optimizer
    ) throws {
        let parameters = try initialParameters()
        let initial = parameters.map(\.scalars)
        let optimizer = make(parameters)
        for step in 0..<Self.stepCount {
            optimizer.zeroGradients()
            for (index, parameter) in parameters.enumerated() {
                if skip && index == Self.skippedParameter && Self.skippedSteps.contains(step) { continue }
                parameter.grad = try gradient(step: step, parameter: index)
            }
            optimizer.step()
            for (index, parameter) in parameters.enumerated() {
                let reference = try archive.tensor("after.\(name).\(step).\(index)")
                XCTAssertEqual(parameter.shape, reference.shape, file: file, line: line)
                let error = relativeError(parameter.scalars, reference.scalars)
                XCTAssertLessThan(error, tolerance, "\(name) step \(step) parameter \(index)",
                                  file: file, line: line)
                let moved = zip(reference.scalars, initial[index]).map { $0 - $1 }
                if moved.contains(where: { $0 != 0 }) {
                    let ours = zip(parameter.scalars, initial[index]).map { $0 - $1 }
                    let displacementError = relativeError(ours, moved)
                    XCTAssertLessThan(displacementError, displacementTolerance,
                                      "\(name) step \(step) parameter \(index): displacement",
                                      file: file, line: line)
                } else {
                    XCTAssertEqual(parameter.scalars, initial[index],
                                   "\(name) step \(step) parameter \(index) should not have moved",
                                   file: file, line: line)
                }
            }
        }
    }
}

/// ‖a − b‖ / ‖b‖ in double precision (‖a − b‖ when b is zero).
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) against \(b.count) elements")
    var difference = 0.0
    var reference = 0.0
    for (x, y) in zip(a, b) {
        difference += (Double(x) - Double(y)) * (Double(x) - Double(y))
        reference += Double(y) * Double(y)
    }
    return reference == 0 ? difference.squareRoot() : (difference / reference).squareRoot()
}
