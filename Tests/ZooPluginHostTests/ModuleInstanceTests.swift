import CZooPlugin
import Foundation
import XCTest
import ZooPluginHost
import ZooTensor
import ZooTestSupport

/// A module from the C example plug-in (`libZooExampleScaledHead.so`, built with the package) run
/// as a node of the host's autodiff graph: values, gradients through the plug-in's hand-written
/// backward, parameters shared in place, errors with the plug-in's message.
final class ModuleInstanceTests: XCTestCase {
    /// The function table of `scaled-head`, from the library the build put beside the tests.
    func scaledHeadFunctions() throws -> UnsafePointer<zoo_module_functions> {
        let path = try BuiltProducts.library("ZooExampleScaledHead").path
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL), let entry = dlsym(library, ZOO_PLUGIN_ENTRY_SYMBOL) else {
            throw MissingBuiltProduct(path, failsToLoad: String(cString: dlerror()))
        }
        let function = unsafeBitCast(entry, to: zoo_plugin_entry_fn.self)
        let info = try XCTUnwrap(PluginCallError.withErrorSlot(returning: { function(HostServices.api, $0) }).result)
        XCTAssertEqual(String(cString: info.pointee.name), "scaled-head-c")
        return try XCTUnwrap(info.pointee.modules[0]?.pointee.functions)
    }

    func makeHead(scale: Double = 1.5) throws -> ModuleInstance {
        try ModuleInstance(functions: scaledHeadFunctions(), name: "scaled-head",
                           configuration: #"{"in_features": 6, "out_features": 4, "scale": \#(scale)}"#, reentrant: true)
    }

    func testForwardMatchesTheDefinitionAndSharesParameters() throws {
        let head = try makeHead()
        XCTAssertEqual(head.namedParameters.map(\.0), ["weight", "bias"])
        XCTAssertEqual(head.namedParameters.map(\.1.shape), [[4, 6], [4]])
        let (weight, bias) = (head.namedParameters[0].1, head.namedParameters[1].1)
        _ = bias.withMutableScalars { $0.update(from: [0.5, -1, 2, 0]) }   // the plug-in sees host writes in place
        let x = randomTensor([5, 6], seed: 3)
        let y = try head.forward([x], training: false)[0]
        let expected = Tensor.linear(x, weight: weight, bias: nil) * 1.5 + bias
        assertClose(y, expected, tolerance: 1e-6, "logits")
        XCTAssertNil(y.gradientNode, "evaluation records no graph")
    }

    func testGradientsFlowThroughThePluginsBackward() throws {
        let head = try makeHead(scale: 0.7)
        let (weight, bias) = (head.namedParameters[0].1, head.namedParameters[1].1)
        checkGradients([randomTensor([3, 6], seed: 4), weight, bias]) { inputs in
            try! head.forward([inputs[0]], training: true)[0]
        }
    }

    func testGradientsAccumulateIntoHostParametersInsideALargerGraph() throws {
        let head = try makeHead()
        let x = randomTensor([4, 6], seed: 5)
        x.requiresGrad = true
        let logits = try head.forward([x.relu()], training: true)[0]
        Tensor.crossEntropy(logits: logits, labels: [0, 3, 1, 2]).backward()
        XCTAssertEqual(head.namedParameters[0].1.grad?.shape, [4, 6])
        XCTAssertEqual(x.grad?.shape, [4, 6])
    }

    func testPluginErrorsCarryItsMessage() throws {
        let head = try makeHead()
        XCTAssertThrowsError(try head.forward([Tensor.zeros([2, 5])], training: false)) { error in
            XCTAssertEqual(String(describing: error),
                           "shape error: module \"scaled-head\": output shapes: scaled-head expects features [B, 6], got rank 2 with last extent 5")
        }
        XCTAssertThrowsError(try ModuleInstance(functions: scaledHeadFunctions(), name: "scaled-head",
                                                configuration: #"{"in_features": 0, "out_features": 4}"#)) { error in
            XCTAssertEqual(String(describing: error), "invalid configuration: module \"scaled-head\": create: "
                           + "scaled-head: in_features and out_features must be >= 1, scale > 0")
        }
    }
}
