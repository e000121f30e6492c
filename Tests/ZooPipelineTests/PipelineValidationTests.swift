import Foundation
import XCTest
import ZooManifest
import ZooPipeline
import ZooPluginHost

/// Validation against the registry, with the example plug-ins (a head and a loss).
final class PipelineValidationTests: XCTestCase {
    func examplesManifest(_ model: String, scratch: Scratch) throws -> URL {
        let folder = try Built.pluginFolder("ZooExampleScaledHead", "ZooExampleFocalLoss")
        return try scratch.write("m.yaml", """
            zoo: 1
            plugins:
              - path: \(folder.path)/libZooExampleScaledHead.so
              - path: \(folder.path)/libZooExampleFocalLoss.so
            \(model)
            """)
    }

    func errors(_ url: URL) -> [String] {
        do {
            _ = try PipelineBuilder(environment: [:], executable: nil).build(file: url)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func testModuleNamesAndKindsAreCheckedWithSuggestionsFromTheRegistry() throws {
        let scratch = try Scratch()
        let url = try examplesManifest("""
            model:
              backbone: {module: scaled-head, config: {in_features: 4, out_features: 2}}
              head: {module: scaled-haed}
              losses:
                - module: focal-los
            """, scratch: scratch)
        XCTAssertEqual(errors(url), [
            "m.yaml:6:22: model.backbone.module: expected a backbone module, found scaled-head, a head",
            "m.yaml:7:18: model.head.module: no loaded plug-in offers module \"scaled-haed\" (did you mean scaled-head?)",
            "m.yaml:9:15: model.losses[0].module: no loaded plug-in offers module \"focal-los\" (did you mean focal-loss?)",
        ])
    }

    func testConfigurationProblemsPointAtTheirLinesAndKeyPaths() throws {
        let scratch = try Scratch()
        let url = try examplesManifest("""
            model:
              backbone: {module: mlp}
              head:
                module: scaled-head
                config:
                  out_features: three
                  scal: 2
              losses:
                - module: focal-loss
                  config: {gamma: -1}
            """, scratch: scratch)
        XCTAssertEqual(errors(url), [
            "m.yaml:6:22: model.backbone.module: no loaded plug-in offers module \"mlp\"",
            "m.yaml:10:21: model.head.config.out_features: expected integer, found \"three\"",
            "m.yaml:11:13: model.head.config.scal: unknown key (did you mean scale?)",
            "m.yaml:10:7: model.head.config.in_features: scaled-head needs its input's feature width: give it here, or data.input_shape",
            "m.yaml:14:23: model.losses[0].config.gamma: expected at least 0, found -1",
        ])
    }

    func testPlugInsThatDoNotLoadAreReportedAtTheirEntries() throws {
        let scratch = try Scratch()
        let url = try scratch.write("m.yaml", """
            zoo: 1
            plugins:
              - name: no-such-plugin
              - path: ./libmissing.so
            model:
              backbone: {module: mlp}
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """)
        let found = errors(url)
        XCTAssertEqual(found.count, 5, "\(found)")
        XCTAssertEqual(found[0], "m.yaml:3:11: plugins[0].name: plug-in \"no-such-plugin\" not found: looked for no-such-plugin, no-such-plugin.so, libno-such-plugin.so, and for a sealed library (NAME.zoo.json) of that name, in \(scratch.folder.standardizedFileURL.path) (add its folder to ZOO_PLUGIN_PATH or give the library's path)")
        XCTAssertEqual(found[1], "m.yaml:4:11: plugins[1].path: plug-in file \(scratch.folder.standardizedFileURL.path)/libmissing.so not found (relative to the manifest folder \(scratch.folder.standardizedFileURL.path))")
        XCTAssertEqual(found[2], "m.yaml:6:22: model.backbone.module: no loaded plug-in offers module \"mlp\" (no plug-ins are loaded; list them under plugins)")
    }
}
