import CZooPlugin
import Foundation
import XCTest
@testable import ZooPluginKit
import ZooNN
import ZooTensor
import ZooTestSupport

/// A head whose configuration is declared once, with keys the host derives.
final class DeclaredHead: Module, Head {
    struct Configuration: PluginConfiguration {
        @Key("num_classes", minimum: 1, "classes C", from: .dataNumClasses) var classes: Int
        @Key("in_dim", minimum: 1, "feature width D", from: .inputFeatures) var features: Int
        @Key("scale", exclusiveMinimum: 0) var scale: Float = 2
    }

    static let name = "declared-head"
    static let summary = "a scaled linear layer whose configuration is declared with Key, for tests"

    let fc: Linear
    let scale: Float

    init(configuration: Configuration, host: PluginHost) throws {
        fc = Linear(configuration.features, configuration.classes, random: RandomSource(seed: host.seed))
        scale = configuration.scale
    }

    override var namedChildren: [(String, Module)] { [("fc", fc)] }

    func forward(_ input: Tensor) throws -> Tensor { fc(input) * scale }

    func outputShape(for inputShape: [Int]) throws -> [Int] { [inputShape[0], fc.weight.shape[0]] }
}

/// A configuration that declares one key twice.
struct TwiceDeclared: PluginConfiguration {
    @Key("width") var width = 1
    @Key("width") var otherWidth = 2
}

final class TwiceDeclaredModule: Module, Head {
    typealias Configuration = TwiceDeclared
    static let name = "twice-declared"
    static let summary = "declares a key twice, for tests"
    init(configuration: Configuration, host: PluginHost) throws {}
    func forward(_ input: Tensor) throws -> Tensor { input }
    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
}

/// A module with a `PluginConfiguration` exported through the C ABI: its descriptor carries the
/// derived schema, and `create` decodes through the same declarations.
final class DeclaredConfigurationModuleTests: XCTestCase {
    static var info: UnsafePointer<zoo_plugin_info> {
        let error = ErrorRecord()
        let info = ZooPlugin.export(name: "kit-declared", version: "0.1.0", modules: [DeclaredHead.self],
                                    host: TestHost.shared.pointer, error: error.pointer)
        precondition(info != nil, "export failed: \(error.message)")
        return info!
    }

    func testTheDescriptorCarriesTheDerivedSchemaWithItsBindings() throws {
        let descriptor = try ModuleDriver(Self.info, named: "declared-head").descriptor.pointee
        let text = String(cString: descriptor.config_schema_json)
        XCTAssertEqual(text, DeclaredHead.Configuration.schema)
        XCTAssertEqual(text, DeclaredHead.configurationSchema)
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: [String: Any]])
        XCTAssertEqual(properties["num_classes"]?["x-zoo-from"] as? String, "data.num_classes")
        XCTAssertEqual(properties["in_dim"]?["x-zoo-from"] as? String, "input.features")
        XCTAssertNil(properties["scale"]?["x-zoo-from"])
        XCTAssertEqual(schema["required"] as? [String], ["num_classes", "in_dim"], "bound keys without a default stay required")
        XCTAssertEqual(schema["additionalProperties"] as? Bool, false)
    }

    func testCreateDecodesThroughTheDeclarations() throws {
        let driver = try ModuleDriver(Self.info, named: "declared-head")
        let (created, status, message) = driver.create(#"{"num_classes": 3, "in_dim": 4}"#)
        XCTAssertEqual(status, ZOO_OK, message)
        let handle = try XCTUnwrap(created)
        defer { driver.functions.destroy!(handle) }
        let head = try XCTUnwrap(Unmanaged<ModuleInstance>.fromOpaque(handle).takeUnretainedValue().object as? DeclaredHead)
        XCTAssertEqual(head.fc.weight.shape, [3, 4])
        XCTAssertEqual(head.scale, 2, "the default")

        let (missing, missingStatus, missingMessage) = driver.create(#"{"num_classes": 3}"#)
        XCTAssertNil(missing)
        XCTAssertEqual(missingStatus, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertEqual(missingMessage, "declared-head: invalid configuration: missing key `in_dim`")

        let (_, wrongStatus, wrongMessage) = driver.create(#"{"num_classes": 3, "in_dim": 4, "scale": 0}"#)
        XCTAssertEqual(wrongStatus, ZOO_ERROR_INVALID_CONFIG)
        XCTAssertEqual(wrongMessage, "declared-head: invalid configuration: key `scale`: expected a number > 0, found 0")
    }

    func testExportRefusesAKeyDeclaredTwice() {
        let error = ErrorRecord()
        XCTAssertNil(ZooPlugin.export(name: "kit-twice-declared", version: "1", modules: [TwiceDeclaredModule.self],
                                      host: TestHost.shared.pointer, error: error.pointer))
        XCTAssertEqual(error.status, ZOO_ERROR_INVALID_ARGUMENT)
        XCTAssertEqual(error.message, "plug-in kit-twice-declared: module twice-declared's configuration declares key `width` twice")
    }
}
