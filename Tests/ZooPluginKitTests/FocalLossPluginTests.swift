import CZooPlugin
import Foundation
import XCTest
import ZooTensor
import ZooTestSupport

/// The example focal-loss plug-in, loaded as a host loads it: `dlopen` the built library, look up
/// `zoo_plugin_entry_v1`, call it with a host table, then drive the module through its C functions.
final class FocalLossPluginTests: XCTestCase {
    /// `libZooExampleFocalLoss.so` from the build folder the test executable runs in.
    static func libraryURL() throws -> URL {
        let name = "libZooExampleFocalLoss.so"
        var folders: [URL] = []
        if let executable = Bundle.main.executableURL { folders.append(executable.deletingLastPathComponent()) }
        folders.append(contentsOf: Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() })
        let build = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build")
        folders.append(contentsOf: ["debug", "release"].map { build.appendingPathComponent($0) })
        for folder in folders {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        throw MissingBuiltProduct("\(name) not found in \(folders.map(\.path)); build it with `swift build --build-tests`")
    }

    /// The library's info, from one `dlopen` (never closed: Swift code is not unloaded).
    nonisolated(unsafe) static var loaded: UnsafePointer<zoo_plugin_info>?

    static func info() throws -> UnsafePointer<zoo_plugin_info> {
        if let loaded { return loaded }
        let url = try libraryURL()
        guard let library = dlopen(url.path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw MissingBuiltProduct(url.path, failsToLoad: String(cString: dlerror()))
        }
        guard let symbol = dlsym(library, ZOO_PLUGIN_ENTRY_SYMBOL) else {
            throw MissingBuiltProduct(url.lastPathComponent, failsToLoad: "no \(ZOO_PLUGIN_ENTRY_SYMBOL)")
        }
        let entry = unsafeBitCast(symbol, to: zoo_plugin_entry_fn.self)
        let error = ErrorRecord()
        guard let info = entry(TestHost.shared.pointer, error.pointer) else {
            throw MissingBuiltProduct(url.lastPathComponent, failsToLoad: "its entry failed: \(error.status) \(error.message)")
        }
        XCTAssertEqual(entry(TestHost.shared.pointer, error.pointer), info, "a second entry call returns the same info")
        loaded = info
        return info
    }

    func makeDriver() throws -> ModuleDriver {
        try ModuleDriver(try Self.info(), named: "focal-loss")
    }

    func testInfoAndDescriptor() throws {
        let info = try Self.info()
        XCTAssertEqual(info.pointee.struct_size, UInt32(MemoryLayout<zoo_plugin_info>.size))
        XCTAssertEqual(Int32(info.pointee.abi_major), ZOO_ABI_MAJOR)
        XCTAssertEqual(Int32(info.pointee.abi_minor), ZOO_ABI_MINOR)
        XCTAssertEqual(String(cString: info.pointee.name), "focal-loss")
        XCTAssertEqual(String(cString: info.pointee.version), "1.0.0")
        XCTAssertEqual(info.pointee.module_count, 1)

        let descriptor = try XCTUnwrap(info.pointee.modules[0]).pointee
        XCTAssertEqual(descriptor.struct_size, UInt32(MemoryLayout<zoo_module_descriptor>.size))
        XCTAssertEqual(Int32(descriptor.abi_minor), ZOO_ABI_MINOR)
        XCTAssertEqual(descriptor.kind, ZOO_KIND_LOSS)
        XCTAssertEqual(descriptor.threading, ZOO_THREADING_SERIALISED)
        XCTAssertEqual(descriptor.input_count, 2)
        XCTAssertEqual(descriptor.output_count, 1)
        XCTAssertEqual(descriptor.batch_effect, ZOO_BATCH_UNCHANGED)
        XCTAssertEqual(descriptor.training_only, 0)
        XCTAssertEqual(String(cString: descriptor.name), "focal-loss")
        XCTAssertTrue(String(cString: descriptor.summary).contains("focal"))
        let documentation = String(cString: try XCTUnwrap(descriptor.documentation))
        XCTAssertTrue(documentation.contains("labels [B]"), documentation)

        let schema = try JSONSerialization.jsonObject(with: Data(String(cString: descriptor.config_schema_json).utf8))
        let gamma = try XCTUnwrap(((schema as? [String: Any])?["properties"] as? [String: Any])?["gamma"] as? [String: Any])
        XCTAssertEqual(gamma["default"] as? Int, 2)
        XCTAssertEqual(gamma["minimum"] as? Int, 0)

        let functions = descriptor.functions.pointee
        XCTAssertEqual(functions.struct_size, UInt32(MemoryLayout<zoo_module_functions>.size))
        XCTAssertNotNil(functions.create)
        XCTAssertNotNil(functions.destroy)
        XCTAssertNotNil(functions.output_shapes)
        XCTAssertNotNil(functions.forward)
        XCTAssertNotNil(functions.backward)
        XCTAssertNotNil(functions.release_state)
        XCTAssertNotNil(functions.parameter_count)
        XCTAssertNotNil(functions.parameters)
    }

    func testForwardAndBackwardMatchPyTorch() throws {
        let driver = try makeDriver()
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        let logits = try archive.tensor("input.logits")
        let labels = try archive.labels("input.labels")
        let (created, status, message) = driver.create(#"{"gamma": 2}"#)
        XCTAssertEqual(status, ZOO_OK, message)
        let module = try XCTUnwrap(created)
        defer { driver.functions.destroy!(module) }

        let (shapes, shapeStatus, shapeMessage) = driver.outputShapes(module, [logits.shape, [labels.count]], outputs: 1)
        XCTAssertEqual(shapeStatus, ZOO_OK, shapeMessage)
        XCTAssertEqual(shapes, [[]])

        let (parameters, listStatus, _) = driver.parameters(module)
        XCTAssertEqual(listStatus, ZOO_OK)
        XCTAssertTrue(parameters.isEmpty)

        let input = HostTensor(floats: logits.scalars, shape: logits.shape)
        let labelTensor = HostTensor(int64: labels.map { Int64($0) }, shape: [labels.count])
        let output = HostTensor(zeros: [])

        // Evaluation: the value, no state.
        let (evalState, evalStatus, evalMessage) = driver.forward(module, training: false, inputs: [input, labelTensor], outputs: [output])
        XCTAssertEqual(evalStatus, ZOO_OK, evalMessage)
        XCTAssertNil(evalState)
        assertClose(output.floats, try archive.tensor("output.focal_gamma2").scalars, tolerance: 1e-4, "eval loss")

        // Training: the value and a state for backward.
        let trainOutput = HostTensor(zeros: [])
        let (state, trainStatus, trainMessage) = driver.forward(module, training: true, inputs: [input, labelTensor], outputs: [trainOutput])
        XCTAssertEqual(trainStatus, ZOO_OK, trainMessage)
        XCTAssertNotNil(state)
        defer { driver.functions.release_state!(module, state) }
        assertClose(trainOutput.floats, try archive.tensor("output.focal_gamma2").scalars, tolerance: 1e-4, "train loss")

        let logitsGradient = HostTensor(zeros: logits.shape)
        let (backStatus, backMessage) = driver.backward(
            module, state, outputGradients: [HostTensor(floats: [1], shape: [])],
            inputGradients: [logitsGradient, HostTensor(absent: [labels.count])], parameterGradients: [])
        XCTAssertEqual(backStatus, ZOO_OK, backMessage)
        assertClose(logitsGradient.floats, try archive.tensor("grad.focal_gamma2.logits").scalars, tolerance: 1e-3, "grad logits")

        // At most once per state.
        let (again, againMessage) = driver.backward(
            module, state, outputGradients: [HostTensor(floats: [1], shape: [])],
            inputGradients: [HostTensor(zeros: logits.shape), HostTensor(absent: [labels.count])], parameterGradients: [])
        XCTAssertEqual(again, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(againMessage.contains("twice"), againMessage)
    }

    func testUpstreamGradientScalesTheInputGradient() throws {
        let driver = try makeDriver()
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        let logits = try archive.tensor("input.logits")
        let labels = try archive.labels("input.labels")
        let module = try XCTUnwrap(driver.create(#"{"gamma": 2}"#).0)
        defer { driver.functions.destroy!(module) }
        let (state, status, message) = driver.forward(
            module, training: true,
            inputs: [HostTensor(floats: logits.scalars, shape: logits.shape), HostTensor(int64: labels.map { Int64($0) }, shape: [labels.count])],
            outputs: [HostTensor(zeros: [])])
        XCTAssertEqual(status, ZOO_OK, message)
        defer { driver.functions.release_state!(module, state) }
        let gradient = HostTensor(zeros: logits.shape)
        XCTAssertEqual(driver.backward(module, state, outputGradients: [HostTensor(floats: [0.5], shape: [])],
                                       inputGradients: [gradient, HostTensor(absent: [labels.count])], parameterGradients: []).0, ZOO_OK)
        let expected = try archive.tensor("grad.focal_gamma2.logits").scalars.map { $0 * 0.5 }
        assertClose(gradient.floats, expected, tolerance: 1e-3, "half the gradient")
    }

    func testGammaZeroIsCrossEntropy() throws {
        let driver = try makeDriver()
        let archive = try SafeTensorsArchive.fixture("losses.safetensors")
        let logits = try archive.tensor("input.logits")
        let labels = try archive.labels("input.labels")
        let module = try XCTUnwrap(driver.create(#"{"gamma": 0}"#).0)
        defer { driver.functions.destroy!(module) }
        let output = HostTensor(zeros: [])
        let (_, status, message) = driver.forward(
            module, training: false,
            inputs: [HostTensor(floats: logits.scalars, shape: logits.shape), HostTensor(int64: labels.map { Int64($0) }, shape: [labels.count])],
            outputs: [output])
        XCTAssertEqual(status, ZOO_OK, message)
        assertClose(output.floats, try archive.tensor("output.cross_entropy").scalars, tolerance: 1e-4, "gamma 0")
    }

    func testBadConfigurationNamesTheKey() throws {
        let driver = try makeDriver()
        let (module, status, message) = driver.create(#"{"gamma": "two"}"#)
        XCTAssertNil(module)
        XCTAssertEqual(status, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertTrue(message.contains("gamma"), message)
        XCTAssertTrue(message.contains("focal-loss"), message)

        // The kit fills in the declared default, as the host does.
        let (defaulted, defaultedStatus, defaultedMessage) = driver.create("{}")
        XCTAssertEqual(defaultedStatus, ZOO_OK, defaultedMessage)
        if let defaulted { driver.functions.destroy!(defaulted) }

        let (_, unknownStatus, unknownMessage) = driver.create(#"{"gamma": 2, "alpha": 0.25}"#)
        XCTAssertEqual(unknownStatus, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertEqual(unknownMessage, "focal-loss: invalid configuration: unknown key `alpha`; the keys are `gamma`")

        let (_, negativeStatus, negativeMessage) = driver.create(#"{"gamma": -1}"#)
        XCTAssertEqual(negativeStatus, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertEqual(negativeMessage, "focal-loss: invalid configuration: key `gamma`: expected a number >= 0, found -1")

        let (_, syntaxStatus, _) = driver.create(#"{"gamma": "#)
        XCTAssertEqual(syntaxStatus, ZOO_ERROR_INVALID_CONFIG)
    }

    func testWrongShapesAreRefusedWithTheShapes() throws {
        let driver = try makeDriver()
        let module = try XCTUnwrap(driver.create(#"{"gamma": 2}"#).0)
        defer { driver.functions.destroy!(module) }

        let (_, shapeStatus, shapeMessage) = driver.outputShapes(module, [[4, 3], [5]], outputs: 1)
        XCTAssertEqual(shapeStatus, ZOO_ERROR_SHAPE)
        XCTAssertTrue(shapeMessage.contains("[4, 3]") && shapeMessage.contains("[5]"), shapeMessage)

        let logits = HostTensor(floats: [Float](repeating: 0.5, count: 12), shape: [4, 3])
        let (state, status, message) = driver.forward(
            module, training: true, inputs: [logits, HostTensor(int64: [0, 1, 2, 0, 1], shape: [5])],
            outputs: [HostTensor(zeros: [])])
        XCTAssertNil(state)
        XCTAssertEqual(status, ZOO_ERROR_SHAPE)
        XCTAssertTrue(message.contains("[4, 3]") && message.contains("[5]"), message)

        let (_, flatStatus, flatMessage) = driver.forward(
            module, training: false, inputs: [HostTensor(zeros: [12]), HostTensor(int64: [0, 1, 2, 0], shape: [4])],
            outputs: [HostTensor(zeros: [])])
        XCTAssertEqual(flatStatus, ZOO_ERROR_SHAPE)
        XCTAssertTrue(flatMessage.contains("[12]"), flatMessage)
    }

    func testWrongDTypesAndLabelsAreRefused() throws {
        let driver = try makeDriver()
        let module = try XCTUnwrap(driver.create(#"{"gamma": 1.5}"#).0)
        defer { driver.functions.destroy!(module) }

        let (_, doubleStatus, doubleMessage) = driver.forward(
            module, training: false, inputs: [HostTensor(doubles: [Double](repeating: 0, count: 6), shape: [2, 3]),
                                              HostTensor(int64: [0, 1], shape: [2])],
            outputs: [HostTensor(zeros: [])])
        XCTAssertEqual(doubleStatus, ZOO_ERROR_UNSUPPORTED)
        XCTAssertTrue(doubleMessage.contains("float64"), doubleMessage)

        let (_, floatLabelsStatus, floatLabelsMessage) = driver.forward(
            module, training: false, inputs: [HostTensor(zeros: [2, 3]), HostTensor(floats: [0, 1], shape: [2])],
            outputs: [HostTensor(zeros: [])])
        XCTAssertEqual(floatLabelsStatus, ZOO_ERROR_UNSUPPORTED)
        XCTAssertTrue(floatLabelsMessage.contains("labels"), floatLabelsMessage)

        let (_, rangeStatus, rangeMessage) = driver.forward(
            module, training: false, inputs: [HostTensor(zeros: [2, 3]), HostTensor(int64: [0, 3], shape: [2])],
            outputs: [HostTensor(zeros: [])])
        XCTAssertEqual(rangeStatus, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(rangeMessage.contains("label 3"), rangeMessage)

        let (_, outputStatus, outputMessage) = driver.forward(
            module, training: false, inputs: [HostTensor(zeros: [2, 3]), HostTensor(int64: [0, 1], shape: [2])],
            outputs: [HostTensor(zeros: [2])])
        XCTAssertEqual(outputStatus, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertTrue(outputMessage.contains("output 0"), outputMessage)
    }
}
