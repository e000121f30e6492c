import Foundation
import XCTest
import ZooPluginHost
import ZooTensor
import ZooTestSupport
import ZooValue

/// Plain C kernels wrapped as modules through libffi: values, gradients, arguments from the
/// manifest, and refused signatures.
final class ForeignFunctionModuleTests: XCTestCase {
    static let forward = "void(const float* in, float* out, int64_t n, float alpha, int32_t mode)"
    static let derivative = "void(const float* in, const float* grad_out, float* grad_in, int64_t n, float alpha, int32_t mode)"

    func kernelLibrary() throws -> String {
        try TestPlugins.build([], name: "leaky",
                              source: TestPlugins.packageRoot.appendingPathComponent("Tests/ZooPluginHostTests/Kernels/leaky_kernel.c")).path
    }

    func leaky(alpha: Double, mode: Double) throws -> ForeignFunctionModule {
        try ForeignFunctionModule(ForeignFunctionSpecification(
            library: kernelLibrary(), symbol: "leaky", signature: Self.forward,
            derivativeSymbol: "leaky_grad", derivativeSignature: Self.derivative,
            arguments: [.number(alpha), .number(mode)]))
    }

    func testForwardUsesTheManifestsScalarArguments() throws {
        let x = Tensor(shape: [2, 3], scalars: [-2, -1, 0.5, 1, 3, -0.25])
        XCTAssertEqual(try leaky(alpha: 0.1, mode: 0)(x).scalars, [-0.2, -0.1, 0.5, 1, 3, -0.025].map { Float($0) })
        XCTAssertEqual(try leaky(alpha: 0.5, mode: 1)(x).scalars, [2, 0.5, 0.125, 0.5, 4.5, 0.03125])
    }

    func testGradientFlowsThroughTheDerivative() throws {
        let module = try leaky(alpha: 0.3, mode: 1)
        checkGradients([randomTensor([3, 5], seed: 1)]) { module($0[0]) }
        let relu = try leaky(alpha: 0.1, mode: 0)
        let x = randomTensor([4, 7], seed: 2)
        x.withMutableScalars { for i in $0.indices { $0[i] += $0[i] < 0 ? -0.1 : 0.1 } }   // away from the kink
        checkGradients([x]) { relu($0[0]) }
    }

    func testEveryScalarTypeConverts() throws {
        let module = try ForeignFunctionModule(ForeignFunctionSpecification(
            library: kernelLibrary(), symbol: "affine", signature: "void(const float*, float*, int64_t, double, int64_t, bool)",
            arguments: [.number(2), .number(-3), .bool(true)]))
        XCTAssertEqual(module(Tensor(shape: [3], scalars: [0, 1, 2.5])).scalars, [-2, 0, 3])
    }

    func testUnsupportedSignaturesListTheSupportedForms() throws {
        let library = try kernelLibrary()
        XCTAssertThrowsError(try ForeignFunctionModule(ForeignFunctionSpecification(
            library: library, symbol: "leaky", signature: "void(const float*, float*, int64_t, char*)"))) { error in
            XCTAssertEqual(String(describing: error), """
                unsupported signature `void(const float*, float*, int64_t, char*)`: `char*` is not a supported scalar; \
                supported forms are
                  forward:    void(const float* input, float* output, int64_t count, <scalars>)
                  derivative: void(const float* input, const float* output_gradient, float* input_gradient, int64_t count, <scalars>)
                where each of <scalars> is int32_t, int64_t, float, double or bool
                """)
        }
        XCTAssertThrowsError(try ForeignFunctionModule(ForeignFunctionSpecification(
            library: library, symbol: "leaky", signature: "int(const float*, float*, int64_t)"))) { error in
            XCTAssertTrue(String(describing: error).hasPrefix(
                "unsupported signature `int(const float*, float*, int64_t)`: the result must be void; supported forms are"))
        }
        XCTAssertThrowsError(try ForeignFunctionModule(ForeignFunctionSpecification(
            library: library, symbol: "leaky", signature: "void(float*, const float*, int64_t)"))) { error in
            XCTAssertTrue(String(describing: error).contains("the forward form starts with const float*, float*, int64_t"))
        }
    }

    func testArgumentsAreCheckedAgainstTheSignature() throws {
        let library = try kernelLibrary()
        func failure(_ arguments: [ForeignArgument], symbol: String = "leaky") -> String {
            do {
                _ = try ForeignFunctionModule(ForeignFunctionSpecification(
                    library: library, symbol: symbol, signature: Self.forward, arguments: arguments))
                return "no error"
            } catch { return String(describing: error) }
        }
        XCTAssertEqual(failure([.number(0.1)]), "`leaky` takes 2 scalar argument(s) (float, int32_t), the manifest gives 1")
        XCTAssertEqual(failure([.number(0.1), .number(1.5)]), "argument 2 of `leaky` is int32_t, the manifest gives 1.5")
        XCTAssertEqual(failure([.bool(true), .number(1)]), "argument 1 of `leaky` is float, the manifest gives true")
        XCTAssertEqual(failure([.number(0.1), .number(0)], symbol: "missing"), "\(library) has no symbol `missing`")
        XCTAssertThrowsError(try ForeignFunctionModule(ForeignFunctionSpecification(
            library: "/nonexistent/libnothing.so", symbol: "leaky", signature: Self.forward,
            arguments: [.number(0.1), .number(0)]))) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("cannot load /nonexistent/libnothing.so: "))
        }
    }

    func testDerivativeScalarsMustMatchTheForward() throws {
        XCTAssertThrowsError(try ForeignFunctionModule(ForeignFunctionSpecification(
            library: kernelLibrary(), symbol: "leaky", signature: Self.forward, derivativeSymbol: "leaky_grad",
            derivativeSignature: "void(const float*, const float*, float*, int64_t, float)",
            arguments: [.number(0.1), .number(0)]))) { error in
            XCTAssertEqual(String(describing: error),
                           "derivative `leaky_grad` takes scalars (float) but `leaky` takes (float, int32_t); they must match")
        }
    }
}

extension ForeignFunctionModuleTests {
    func testScalarArgumentsComeFromTheManifest() throws {
        let manifestEntry = """
            {"library": "\(try kernelLibrary())", "symbol": "leaky", "signature": "\(Self.forward)",
             "derivative": {"symbol": "leaky_grad", "signature": "\(Self.derivative)"},
             "arguments": [0.5, 1]}
            """
        let module = try ForeignFunctionModule(ForeignFunctionSpecification(json: JSONValue.parse(manifestEntry),
                                                                            path: "model.activation"))
        XCTAssertEqual(module(Tensor(shape: [2], scalars: [2, -1])).scalars, [2, 0.5])
        checkGradients([randomTensor([2, 3], seed: 9)]) { module($0[0]) }
    }

    func testManifestErrorsNameTheKeyPath() throws {
        func failure(_ text: String) -> String {
            do {
                _ = try ForeignFunctionSpecification(json: JSONValue.parse(text), path: "model.activation")
                return "no error"
            } catch { return String(describing: error) }
        }
        XCTAssertEqual(failure(#"{"library": "l", "symbol": "s", "signature": "x", "arguments": [1, "two"]}"#),
                       #"model.activation.arguments[1]: expected a number or a boolean, found "two""#)
        XCTAssertEqual(failure(#"{"library": "l", "symbol": 3, "signature": "x"}"#),
                       "model.activation.symbol: expected a string, found 3")
        XCTAssertEqual(failure(#"{"library": "l", "symbol": "s", "signature": "x", "argument": []}"#),
                       "model.activation.argument: unknown key; expected one of arguments, derivative, library, signature, symbol")
    }
}
