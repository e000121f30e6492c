import CZooPlugin
import XCTest
@testable import ZooPluginKit
import ZooNN
import ZooTensor
import ZooTestSupport

/// A head with parameters and a buffer, written as an author would: a ZooNN `Layer` that is a `Head`.
final class TinyLinearHead: Layer, Head {
    struct Configuration: Decodable {
        var features: Int
        var classes: Int
    }

    static let name = "tiny-linear"
    static let summary = "a linear layer, for tests"
    static let configurationSchema = """
        {"type": "object", "properties": {"features": {"type": "integer", "minimum": 1},
         "classes": {"type": "integer", "minimum": 1}}, "required": ["features", "classes"]}
        """

    let fc: Linear
    let features: Int
    /// Training forwards seen: a buffer, as BatchNorm's `num_batches_tracked`.
    let forwards = Tensor.zeros([])

    init(configuration: Configuration, host: PluginHost) throws {
        guard configuration.features > 0, configuration.classes > 0 else {
            throw PluginError.invalidConfiguration("tiny-linear: features and classes must be positive")
        }
        features = configuration.features
        fc = Linear(configuration.features, configuration.classes, random: RandomSource(seed: host.seed))
    }

    override var namedChildren: [(String, Module)] { [("fc", fc)] }
    override var namedLocalBuffers: [(String, Tensor)] { [("forwards", forwards)] }

    override func forward(_ input: Tensor) -> Tensor {
        if isTraining { forwards.withMutableScalars { $0[0] += 1 } }
        return fc(input)
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape[1] == features else {
            throw PluginError.shape("tiny-linear: expected features [B, \(features)], got \(inputShape)")
        }
        return [inputShape[0], fc.weight.shape[0]]
    }
}

/// A batch-relation module: the kit returns `concat([x, x·Wᵀ + b])` in training.
final class TinyRelation: Layer, BatchRelation {
    typealias Configuration = NoConfiguration
    static let name = "tiny-relation"
    static let summary = "a linear map across features, two-stream, for tests"

    let mix: Linear

    init(configuration: NoConfiguration, host: PluginHost) throws {
        mix = Linear(4, 4, random: RandomSource(seed: host.seed + 1))
    }

    override var namedChildren: [(String, Module)] { [("mix", mix)] }
    override func forward(_ input: Tensor) -> Tensor { mix(input).relu() }
}

/// A general module with two outputs and a broadcast parameter: `[x·s, x²]`.
final class TwoOutputs: Module, PluginModule {
    typealias Configuration = NoConfiguration
    static let name = "two-outputs"
    static let kind = ModuleKind.backbone
    static let summary = "two outputs, for tests"
    static let outputCount = 2
    static let threading = ModuleThreading.reentrant

    let scale = Tensor(shape: [1], scalars: [1.5], requiresGrad: true)

    init(configuration: NoConfiguration, host: PluginHost) throws {}

    override var namedLocalParameters: [(String, Tensor)] { [("scale", scale)] }

    func outputShapes(for inputShapes: [[Int]]) throws -> [[Int]] { [inputShapes[0], inputShapes[0]] }

    func forward(_ inputs: [Tensor], labels: [Int]?, training: Bool) throws -> [Tensor] {
        [inputs[0] * scale, inputs[0] * inputs[0]]
    }
}

/// A module whose configuration decoding and outputs go wrong on purpose.
final class Misbehaving: Module, Head {
    struct Configuration: Decodable {
        struct Layer: Decodable { var width: Int }
        var layers: [Layer]
    }
    static let name = "misbehaving"
    static let summary = "returns the wrong shape, for tests"
    static let configurationSchema = #"{"type": "object"}"#

    struct Oops: Error, CustomStringConvertible { var description: String { "something broke" } }

    init(configuration: Configuration, host: PluginHost) throws {}

    func forward(_ input: Tensor) throws -> Tensor {
        if input.shape[0] == 3 { throw Oops() }
        return input.sum()
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// The kit's C tables for modules defined in this test target (exported in process, no `dlopen`).
final class KitModuleTests: XCTestCase {
    static var info: UnsafePointer<zoo_plugin_info> {
        let error = ErrorRecord()
        let info = ZooPlugin.export(
            name: "kit-tests", version: "0.1.0",
            modules: [TinyLinearHead.self, TinyRelation.self, TwoOutputs.self, Misbehaving.self],
            host: TestHost.shared.pointer, error: error.pointer)
        precondition(info != nil, "export failed: \(error.message)")
        return info!
    }

    func instance(_ handle: UnsafeMutableRawPointer) -> ModuleInstance {
        Unmanaged<ModuleInstance>.fromOpaque(handle).takeUnretainedValue()
    }

    func testDescriptorsFollowTheRoles() throws {
        let info = Self.info
        XCTAssertEqual(ZooPlugin.export(name: "kit-tests", version: "0.1.0", modules: [], host: nil, error: nil), info)
        XCTAssertEqual(info.pointee.module_count, 4)
        let head = try ModuleDriver(info, named: "tiny-linear").descriptor.pointee
        XCTAssertEqual(head.kind, ZOO_KIND_HEAD)
        XCTAssertEqual(head.threading, ZOO_THREADING_SERIALISED)
        XCTAssertEqual(head.input_count, 1)
        XCTAssertEqual(head.batch_effect, ZOO_BATCH_UNCHANGED)
        XCTAssertNil(head.documentation)
        let relation = try ModuleDriver(info, named: "tiny-relation").descriptor.pointee
        XCTAssertEqual(relation.kind, ZOO_KIND_RELATION)
        XCTAssertEqual(relation.batch_effect, ZOO_BATCH_TWO_STREAM)
        XCTAssertEqual(relation.training_only, 1)
        XCTAssertTrue(String(cString: relation.config_schema_json).contains("additionalProperties"))
        let general = try ModuleDriver(info, named: "two-outputs").descriptor.pointee
        XCTAssertEqual(general.kind, ZOO_KIND_BACKBONE)
        XCTAssertEqual(general.output_count, 2)
        XCTAssertEqual(general.threading, ZOO_THREADING_REENTRANT)
        // Every module kind has its own create.
        XCTAssertNotEqual(unsafeBitCast(head.functions.pointee.create, to: Int.self),
                          unsafeBitCast(relation.functions.pointee.create, to: Int.self))
        XCTAssertTrue(TestHost.shared.log.contains { $0.message.contains("kit-tests") })
    }

    func testExportRefusesBadDescriptions() {
        let error = ErrorRecord()
        XCTAssertNil(ZooPlugin.export(name: "twice", version: "1", modules: [TinyRelation.self, TinyRelation.self],
                                      host: TestHost.shared.pointer, error: error.pointer))
        XCTAssertEqual(error.status, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(error.message.contains("tiny-relation"), error.message)

        error.reset()
        var future = TestHost.shared.api.pointee
        future.abi_major = 2
        XCTAssertNil(ZooPlugin.export(name: "future", version: "1", modules: [TinyRelation.self], host: &future, error: error.pointer))
        XCTAssertEqual(error.status, ZOO_ERROR_UNSUPPORTED)
        XCTAssertTrue(error.message.contains("2."), error.message)
    }

    func testParametersPointAtTheModuleStorage() throws {
        let driver = try ModuleDriver(Self.info, named: "tiny-linear")
        let (created, status, message) = driver.create(#"{"features": 3, "classes": 2}"#)
        XCTAssertEqual(status, ZOO_OK, message)
        let handle = try XCTUnwrap(created)
        defer { driver.functions.destroy!(handle) }
        let head = try XCTUnwrap(instance(handle).object as? TinyLinearHead)

        let (list, listStatus, _) = driver.parameters(handle)
        XCTAssertEqual(listStatus, ZOO_OK)
        XCTAssertEqual(list.map { String(cString: $0.name) }, ["fc.weight", "fc.bias", "forwards"])
        XCTAssertEqual(list.map(\.is_buffer), [0, 0, 1])
        let shapes = list.map { entry in (0..<Int(entry.tensor.ndim)).map { Int(entry.tensor.shape[$0]) } }
        XCTAssertEqual(shapes, [[2, 3], [2], []])
        XCTAssertEqual(list[0].tensor.data, UnsafeMutableRawPointer(head.fc.weight.storage.pointer))
        XCTAssertEqual(list[1].tensor.data, UnsafeMutableRawPointer(head.fc.bias!.storage.pointer))
        XCTAssertEqual(list[2].tensor.data, UnsafeMutableRawPointer(head.forwards.storage.pointer))
        for entry in list {
            XCTAssertEqual(entry.tensor.device.device_type, kDLCPU)
            XCTAssertEqual(entry.tensor.dtype.bits, 32)
            XCTAssertEqual(UInt32(entry.tensor.dtype.code), kDLFloat.rawValue)
            XCTAssertNil(entry.tensor.strides)
        }
        // The same pointers on every call.
        XCTAssertEqual(driver.parameters(handle).0.map(\.tensor.data), list.map(\.tensor.data))

        var small = [zoo_named_tensor](repeating: zoo_named_tensor(), count: 2)
        driver.error.reset()
        XCTAssertEqual(driver.functions.parameters!(handle, 2, &small, driver.error.pointer), ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(driver.error.message.contains("3"), driver.error.message)

        // The host writes parameters in place (an optimiser step); the module computes with them.
        list[0].tensor.data!.bindMemory(to: Float.self, capacity: 6).update(from: [1, 0, 0, 0, 1, 0], count: 6)
        list[1].tensor.data!.bindMemory(to: Float.self, capacity: 2).update(from: [10, 20], count: 2)
        let output = HostTensor(zeros: [1, 2])
        XCTAssertEqual(driver.forward(handle, training: false, inputs: [HostTensor(floats: [1, 2, 3], shape: [1, 3])],
                                      outputs: [output]).1, ZOO_OK)
        XCTAssertEqual(output.floats, [11, 22])
    }

    func testForwardAndBackwardMatchZooNN() throws {
        let driver = try ModuleDriver(Self.info, named: "tiny-linear")
        let handle = try XCTUnwrap(driver.create(#"{"features": 5, "classes": 4}"#).0)
        defer { driver.functions.destroy!(handle) }
        let head = try XCTUnwrap(instance(handle).object as? TinyLinearHead)

        let x = randomTensor([6, 5], seed: 11)
        let upstream = randomTensor([6, 4], seed: 12)
        let output = HostTensor(zeros: [6, 4])
        let (state, status, message) = driver.forward(
            handle, training: true, inputs: [HostTensor(floats: x.scalars, shape: x.shape)], outputs: [output])
        XCTAssertEqual(status, ZOO_OK, message)
        defer { driver.functions.release_state!(handle, state) }
        XCTAssertTrue(head.isTraining)
        XCTAssertEqual(head.forwards.item, 1, "a training forward updates the buffer")

        let inputGradient = HostTensor(zeros: [6, 5])
        let weightGradient = HostTensor(zeros: [4, 5]), biasGradient = HostTensor(zeros: [4])
        let bufferGradient = HostTensor(floats: [7], shape: [])
        let (backStatus, backMessage) = driver.backward(
            handle, state, outputGradients: [HostTensor(floats: upstream.scalars, shape: upstream.shape)],
            inputGradients: [inputGradient], parameterGradients: [weightGradient, biasGradient, bufferGradient])
        XCTAssertEqual(backStatus, ZOO_OK, backMessage)

        // The same computation done directly with ZooNN, on copies of the parameters.
        let weight = head.fc.weight.copied(), bias = head.fc.bias!.copied()
        weight.requiresGrad = true
        bias.requiresGrad = true
        let reference = x.copied()
        reference.requiresGrad = true
        let logits = Tensor.linear(reference, weight: weight, bias: bias)
        assertClose(output.floats, logits.scalars, tolerance: 1e-6, "forward")
        (logits * upstream).sum().backward()
        assertClose(inputGradient.floats, reference.grad!.scalars, tolerance: 1e-5, "input gradient")
        assertClose(weightGradient.floats, weight.grad!.scalars, tolerance: 1e-5, "weight gradient")
        assertClose(biasGradient.floats, bias.grad!.scalars, tolerance: 1e-5, "bias gradient")
        XCTAssertEqual(bufferGradient.floats, [0], "a buffer has no gradient")
        XCTAssertNil(head.fc.weight.grad, "parameter gradients are cleared after backward")
        XCTAssertNil(head.fc.bias!.grad)

        // Evaluation: no state, the mode reaches the module, the buffer stays.
        let (evalState, evalStatus, _) = driver.forward(
            handle, training: false, inputs: [HostTensor(floats: x.scalars, shape: x.shape)], outputs: [HostTensor(zeros: [6, 4])])
        XCTAssertEqual(evalStatus, ZOO_OK)
        XCTAssertNil(evalState)
        XCTAssertFalse(head.isTraining)
        XCTAssertEqual(head.forwards.item, 1)
    }

    func testTwoStatesBackPropagateIndependently() throws {
        let driver = try ModuleDriver(Self.info, named: "tiny-linear")
        let handle = try XCTUnwrap(driver.create(#"{"features": 2, "classes": 1}"#).0)
        defer { driver.functions.destroy!(handle) }
        let first = HostTensor(floats: [1, 2], shape: [1, 2]), second = HostTensor(floats: [3, 5], shape: [1, 2])
        let stateA = driver.forward(handle, training: true, inputs: [first], outputs: [HostTensor(zeros: [1, 1])]).0
        let stateB = driver.forward(handle, training: true, inputs: [second], outputs: [HostTensor(zeros: [1, 1])]).0
        defer {
            driver.functions.release_state!(handle, stateA)
            driver.functions.release_state!(handle, stateB)
        }
        let gradientB = HostTensor(zeros: [1, 2])
        XCTAssertEqual(driver.backward(handle, stateB, outputGradients: [HostTensor(floats: [1], shape: [1, 1])],
                                       inputGradients: [HostTensor(absent: [1, 2])],
                                       parameterGradients: [gradientB, HostTensor(zeros: [1]), HostTensor(absent: [])]).0, ZOO_OK)
        let gradientA = HostTensor(zeros: [1, 2])
        XCTAssertEqual(driver.backward(handle, stateA, outputGradients: [HostTensor(floats: [1], shape: [1, 1])],
                                       inputGradients: [HostTensor(absent: [1, 2])],
                                       parameterGradients: [gradientA, HostTensor(zeros: [1]), HostTensor(absent: [])]).0, ZOO_OK)
        XCTAssertEqual(gradientA.floats, [1, 2], "d(w·x)/dw = x of the first forward")
        XCTAssertEqual(gradientB.floats, [3, 5], "d(w·x)/dw = x of the second forward")
    }

    func testBatchRelationRunsTwoStreams() throws {
        let driver = try ModuleDriver(Self.info, named: "tiny-relation")
        let handle = try XCTUnwrap(driver.create("").0)
        defer { driver.functions.destroy!(handle) }
        let relation = try XCTUnwrap(instance(handle).object as? TinyRelation)

        let (shapes, shapeStatus, _) = driver.outputShapes(handle, [[3, 4]], outputs: 1)
        XCTAssertEqual(shapeStatus, ZOO_OK)
        XCTAssertEqual(shapes, [[6, 4]])

        let x = randomTensor([3, 4], seed: 21)
        let upstream = randomTensor([6, 4], seed: 22)
        let output = HostTensor(zeros: [6, 4])
        let (state, status, message) = driver.forward(
            handle, training: true, inputs: [HostTensor(floats: x.scalars, shape: x.shape)], outputs: [output])
        XCTAssertEqual(status, ZOO_OK, message)
        defer { driver.functions.release_state!(handle, state) }
        let inputGradient = HostTensor(zeros: [3, 4])
        let weightGradient = HostTensor(zeros: [4, 4])
        XCTAssertEqual(driver.backward(handle, state, outputGradients: [HostTensor(floats: upstream.scalars, shape: [6, 4])],
                                       inputGradients: [inputGradient],
                                       parameterGradients: [weightGradient, HostTensor(absent: [4])]).0, ZOO_OK)

        let reference = x.copied()
        reference.requiresGrad = true
        let weight = relation.mix.weight.copied(), bias = relation.mix.bias!.copied()
        weight.requiresGrad = true
        let expected = Tensor.concatenate([reference, Tensor.linear(reference, weight: weight, bias: bias).relu()], alongAxis: 0)
        assertClose(output.floats, expected.scalars, tolerance: 1e-6, "two streams")
        XCTAssertEqual(Array(output.floats.prefix(12)), x.scalars, "the first stream is the input")
        (expected * upstream).sum().backward()
        assertClose(inputGradient.floats, reference.grad!.scalars, tolerance: 1e-5, "input gradient through both streams")
        assertClose(weightGradient.floats, weight.grad!.scalars, tolerance: 1e-5, "weight gradient")
    }

    func testSeveralOutputsAgainstFiniteDifferences() throws {
        let driver = try ModuleDriver(Self.info, named: "two-outputs")
        let handle = try XCTUnwrap(driver.create("{}").0)
        defer { driver.functions.destroy!(handle) }
        let x = randomTensor([2, 3], seed: 31)
        let g1 = randomTensor([2, 3], seed: 32), g2 = randomTensor([2, 3], seed: 33)
        let outputs = [HostTensor(zeros: [2, 3]), HostTensor(zeros: [2, 3])]
        let (state, status, message) = driver.forward(
            handle, training: true, inputs: [HostTensor(floats: x.scalars, shape: x.shape)], outputs: outputs)
        XCTAssertEqual(status, ZOO_OK, message)
        defer { driver.functions.release_state!(handle, state) }
        let inputGradient = HostTensor(zeros: [2, 3]), scaleGradient = HostTensor(zeros: [1])
        XCTAssertEqual(driver.backward(handle, state,
                                       outputGradients: [HostTensor(floats: g1.scalars, shape: [2, 3]),
                                                         HostTensor(floats: g2.scalars, shape: [2, 3])],
                                       inputGradients: [inputGradient], parameterGradients: [scaleGradient]).0, ZOO_OK)

        // Central differences of Σ out₁·g₁ + Σ out₂·g₂ in Double.
        func objective(_ x: [Float], _ s: Float) -> Double {
            zip(x.indices, x).reduce(0.0) { total, pair in
                let (i, v) = pair
                return total + Double(v * s) * Double(g1.scalars[i]) + Double(v * v) * Double(g2.scalars[i])
            }
        }
        let step: Float = 1e-2
        var numeric = [Float](repeating: 0, count: 6)
        for i in 0..<6 {
            var plus = x.scalars, minus = x.scalars
            plus[i] += step
            minus[i] -= step
            numeric[i] = Float((objective(plus, 1.5) - objective(minus, 1.5)) / Double(2 * step))
        }
        assertClose(inputGradient.floats, numeric, tolerance: 1e-3, "input gradient")
        let numericScale = Float((objective(x.scalars, 1.5 + step) - objective(x.scalars, 1.5 - step)) / Double(2 * step))
        assertClose(scaleGradient.floats, [numericScale], tolerance: 1e-3, "scale gradient")
    }

    func testErrorsBecomeStatusesAndMessages() throws {
        let driver = try ModuleDriver(Self.info, named: "misbehaving")
        let (_, nestedStatus, nestedMessage) = driver.create(#"{"layers": [{"width": 3}, {"width": "wide"}]}"#)
        XCTAssertEqual(nestedStatus, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertTrue(nestedMessage.contains("layers[1].width"), nestedMessage)

        let handle = try XCTUnwrap(driver.create(#"{"layers": []}"#).0)
        defer { driver.functions.destroy!(handle) }
        let (_, shapeStatus, shapeMessage) = driver.forward(
            handle, training: false, inputs: [HostTensor(zeros: [2, 2])], outputs: [HostTensor(zeros: [2, 2])])
        XCTAssertEqual(shapeStatus, ZOO_ERROR_INTERNAL)
        XCTAssertTrue(shapeMessage.contains("[]") && shapeMessage.contains("[2, 2]"), shapeMessage)

        let (_, thrownStatus, thrownMessage) = driver.forward(
            handle, training: true, inputs: [HostTensor(zeros: [3, 2])], outputs: [HostTensor(zeros: [3, 2])])
        XCTAssertEqual(thrownStatus, ZOO_ERROR_INTERNAL)
        XCTAssertEqual(thrownMessage, "misbehaving: something broke")

        var strides: [Int64] = [1, 2]
        let input = HostTensor(zeros: [2, 2])
        var tensor = input.dl
        var outputTensor = HostTensor(zeros: [2, 2]).dl
        var state: UnsafeMutableRawPointer?
        driver.error.reset()
        let status = strides.withUnsafeMutableBufferPointer { buffer in
            tensor.strides = buffer.baseAddress
            return driver.functions.forward!(handle, ZOO_MODE_EVAL, 1, &tensor, 1, &outputTensor, &state, driver.error.pointer)
        }
        XCTAssertEqual(status, ZOO_ERROR_UNSUPPORTED)
        XCTAssertTrue(driver.error.message.contains("strides"), driver.error.message)

        let (_, countStatus, countMessage) = driver.forward(
            handle, training: false, inputs: [HostTensor(zeros: [2, 2]), HostTensor(zeros: [2, 2])], outputs: [HostTensor(zeros: [2, 2])])
        XCTAssertEqual(countStatus, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(countMessage.contains("expected 1 input"), countMessage)

        XCTAssertEqual(driver.functions.backward!(handle, nil, 0, nil, 0, nil, 0, nil, driver.error.pointer), ZOO_ERROR_INVALID_ARGUMENT)
    }

    func testHostServices() {
        let host = PluginHost(TestHost.shared.pointer)
        XCTAssertEqual(host.threadCount, 3)
        XCTAssertEqual(host.seed, 1234)
        XCTAssertEqual(host.abiVersion.major, Int(ZOO_ABI_MAJOR))
        host.log(.warning, "a warning from a module")
        XCTAssertTrue(TestHost.shared.log.contains { $0.level == ZOO_LOG_WARNING && $0.message == "a warning from a module" })

        var covered = [Int](repeating: 0, count: 10)
        covered.withUnsafeMutableBufferPointer { buffer in
            host.parallelFor(10) { range in for index in range { buffer[index] += 1 } }
        }
        XCTAssertEqual(covered, [Int](repeating: 1, count: 10))
        XCTAssertGreaterThan(TestHost.shared.parallelCalls, 0)

        let memory = host.allocate(bytes: 100)
        XCTAssertNotNil(memory)
        XCTAssertEqual(Int(bitPattern: memory) % 64, 0)
        host.release(memory)

        XCTAssertEqual(PluginHost.none.threadCount, 1)
        var ran = false
        PluginHost.none.parallelFor(3) { range in ran = range == 0..<3 }
        XCTAssertTrue(ran)
    }
}
