import Foundation
import XCTest
import ZooManifest

/// A corpus of bad manifests, each with every message it must produce: file, line, column, key path,
/// what was expected and what was found.
final class BadManifestTests: XCTestCase {
    static let model = """
        model:
          backbone: {module: mlp}
          head: {module: linear}
          losses: [{module: cross-entropy}]
        """

    /// (name, manifest text, overrides, the exact messages)
    static let corpus: [(String, String, [String], [String])] = [
        ("zoo missing", model, [],
         ["m.yaml:1:1: zoo: required key is missing (a manifest begins with zoo: 1)"]),
        ("zoo not first", model + "\nzoo: 1", [],
         ["m.yaml:1:1: zoo: must be the first key of the manifest"]),
        ("zoo version", "zoo: 2\n" + model, [],
         ["m.yaml:1:6: zoo: expected format version 1, found 2 (this Zoo reads version 1)"]),
        ("zoo not a number", "zoo: one\n" + model, [],
         ["m.yaml:1:6: zoo: expected an integer, found \"one\""]),
        ("not a mapping", "- zoo: 1", [],
         ["m.yaml:1:1: expected a mapping that begins with zoo: 1, found [{\"zoo\": 1}]"]),
        ("misspelled section, model missing", "zoo: 1\nmodle:\n  backbone: {module: mlp}", [],
         ["m.yaml:2:1: modle: unknown key (did you mean model?)",
          "m.yaml:1:1: model: required key is missing"]),
        ("module missing", "zoo: 1\nmodel:\n  backbone: {config: {}}\n  head: {module: linear}\n  losses: [{module: cross-entropy}]", [],
         ["m.yaml:3:13: model.backbone.module: required key is missing"]),
        ("module not a string", "zoo: 1\nmodel:\n  backbone: {module: 3}\n  head: {module: linear}\n  losses: [{module: cross-entropy}]", [],
         ["m.yaml:3:22: model.backbone.module: expected a string, found 3"]),
        ("config not a mapping", "zoo: 1\nmodel:\n  backbone: {module: mlp}\n  head: {module: linear, config: [1]}\n  losses: [{module: cross-entropy}]", [],
         ["m.yaml:4:34: model.head.config: expected a mapping, found [1]"]),
        ("relations not a list", "zoo: 1\n" + model + "\n  relations: {module: batchformer-v1}", [],
         ["m.yaml:6:14: model.relations: expected a list, found {\"module\": \"batchformer-v1\"}"]),
        ("relation placement and misspelled key", """
            zoo: 1
            model:
              backbone: {module: mlp}
              relations:
                - module: batchformer-v1
                  placement: feature
                  learning_rate_multipler: 0.1
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """, [],
         ["m.yaml:7:7: model.relations[0].learning_rate_multipler: unknown key (did you mean learning_rate_multiplier?)",
          "m.yaml:6:18: model.relations[0].placement: expected one of features, dense, found \"feature\" (did you mean features?)"]),
        ("negative multiplier", """
            zoo: 1
            model:
              backbone: {module: mlp}
              relations: [{module: batchformer-v1, learning_rate_multiplier: -1}]
              head: {module: linear}
              losses: [{module: cross-entropy}]
            """, [],
         ["m.yaml:4:66: model.relations[0].learning_rate_multiplier: expected at least 0, found -1"]),
        ("no losses", "zoo: 1\nmodel:\n  backbone: {module: mlp}\n  head: {module: linear}\n  losses: []", [],
         ["m.yaml:5:11: model.losses: expected at least one loss, found []"]),
        ("loss weight", "zoo: 1\nmodel:\n  backbone: {module: mlp}\n  head: {module: linear}\n  losses: [{module: cross-entropy, weight: heavy}]", [],
         ["m.yaml:5:44: model.losses[0].weight: expected a number, found \"heavy\""]),
        ("head and losses missing", "zoo: 1\nmodel:\n  backbone: {module: mlp}", [],
         ["m.yaml:3:3: model.head: required key is missing",
          "m.yaml:3:3: model.losses: required key is missing"]),
        ("optimizer name", "zoo: 1\n" + model + "\noptimizer: {name: adam}", [],
         ["m.yaml:6:19: optimizer.name: expected one of sgd, adamw, found \"adam\" (did you mean adamw?)"]),
        ("learning rate zero and betas", "zoo: 1\n" + model + "\noptimizer:\n  learning_rate: 0\n  betas: [0.9]", [],
         ["m.yaml:7:18: optimizer.learning_rate: expected more than 0, found 0",
          "m.yaml:8:10: optimizer.betas: expected 2 numbers, found 1"]),
        ("multiplier for an unknown stage", "zoo: 1\n" + model + "\noptimizer:\n  learning_rate_multipliers: {haed: 2}", [],
         ["m.yaml:7:37: optimizer.learning_rate_multipliers.haed: no stage named haed (did you mean head?)"]),
        ("multistep without milestones", "zoo: 1\n" + model + "\nschedule: {name: multistep}", [],
         ["m.yaml:6:11: schedule.milestones: required key is missing (schedule multistep needs it)"]),
        ("milestones out of order", "zoo: 1\n" + model + "\nschedule: {name: multistep, milestones: [30, 10]}", [],
         ["m.yaml:6:41: schedule.milestones: expected increasing epochs, found [30, 10]"]),
        ("training values", "zoo: 1\n" + model + "\ntraining:\n  batch_size: 0\n  epochs: 1.5\n  two_stream: maybe", [],
         ["m.yaml:8:11: training.epochs: expected an integer, found 1.5",
          "m.yaml:7:15: training.batch_size: expected at least 1, found 0",
          "m.yaml:9:15: training.two_stream: expected true or false, found \"maybe\""]),
        ("data format", "zoo: 1\n" + model + "\ndata: {format: cifar10}", [],
         ["m.yaml:6:16: data.format: expected one of cifar10-binary, cifar100-binary, idx, npz, csv, synthetic, imagenet-lt-npy, found \"cifar10\""]),
        ("data format typo", "zoo: 1\n" + model + "\ndata: {format: imagenet-lt}", [],
         ["m.yaml:6:16: data.format: expected one of cifar10-binary, cifar100-binary, idx, npz, csv, synthetic, imagenet-lt-npy, found \"imagenet-lt\" (did you mean imagenet-lt-npy?)"]),
        ("long tail incomplete", "zoo: 1\n" + model + "\ndata:\n  format: synthetic\n  num_classes: 3\n  long_tail: {ratio: 0.5}", [],
         ["m.yaml:9:22: data.long_tail.ratio: expected at least 1, found 0.5",
          "m.yaml:9:14: data.long_tail.n_max: required key is missing"]),
        ("class counts of the wrong length", "zoo: 1\n" + model + "\ndata:\n  format: synthetic\n  num_classes: 3\n  class_counts: [5, 4]", [],
         ["m.yaml:9:17: data.class_counts: expected 3 counts (data.num_classes), found 2"]),
        ("plug-in entries", """
            zoo: 1
            plugins:
              - {name: zoo/heads}
              - {sha256: abc}
              - {}
            """ + "\n" + model, [],
         ["m.yaml:3:12: plugins[0].name: a plug-in name has no /; give a file under path instead",
          "m.yaml:4:14: plugins[1].sha256: expected 64 hexadecimal digits, found \"abc\"",
          "m.yaml:4:5: plugins[1]: expected name or path",
          "m.yaml:5:5: plugins[2]: expected name or path"]),
        ("duplicate key", "zoo: 1\n" + model + "\ntraining: {epochs: 1}\ntraining: {epochs: 2}", [],
         ["m.yaml:6:1: not valid YAML: key training appears more than once"]),
        ("not YAML", "zoo: 1\nmodel: [\n", [],
         ["m.yaml:3:1: not valid YAML: did not find expected node content"]),
        ("an alias is checked where it is used", "zoo: 1\n" + model + "\ntraining: &t {epochs: 1}\nevaluation: *t", [],
         ["m.yaml:6:15: evaluation.epochs: unknown key (known keys: batch_size, every, shot_groups)"]),
        ("set past the end of a list", "zoo: 1\n" + model, ["model.losses[3].weight=2"],
         ["--set model.losses[3].weight=2: model.losses[3].weight: index 3 is past the end of a list of 1"]),
        ("set into a scalar", "zoo: 1\n" + model, ["model.head.module.name=x"],
         ["--set model.head.module.name=x: model.head.module.name: cannot set key name inside a string"]),
        ("set a wrong value", "zoo: 1\n" + model, ["training.batch_size=-4", "optimizer.name=rmsprop"],
         ["--set optimizer.name=rmsprop: optimizer.name: expected one of sgd, adamw, found \"rmsprop\"",
          "--set training.batch_size=-4: training.batch_size: expected at least 1, found -4"]),
        ("sampler and augmentation", "zoo: 1\n" + model + """

            data:
              format: npz
              sampler: class-balance
              augmentation: {crop_padding: -1, flip: true, mean: [0.5, 0.5]}
            """, [],
         ["m.yaml:8:12: data.sampler: expected one of uniform, class-balanced, square-root, found \"class-balance\" (did you mean class-balanced?)",
          "m.yaml:9:36: data.augmentation.flip: unknown key (known keys: crop_padding, horizontal_flip, mean, std)",
          "m.yaml:9:17: data.augmentation.std: required key is missing (mean and std go together)",
          "m.yaml:9:32: data.augmentation.crop_padding: expected at least 0, found -1"]),
        ("augmentation std count", "zoo: 1\n" + model + "\ndata: {format: npz, augmentation: {mean: [1, 2, 3], std: [1, 2]}}", [],
         ["m.yaml:6:58: data.augmentation.std: expected 3 numbers like mean, found 2"]),
        ("set without a value", "zoo: 1\n" + model, ["=3"],
         ["--set =3: expected key.path=value"]),
    ]

    func testEveryBadManifestReportsEveryProblemExactly() {
        XCTAssertGreaterThanOrEqual(Self.corpus.count, 25)
        for (name, text, overrides, expected) in Self.corpus {
            do {
                let parsed = try overrides.map { text throws(ManifestError) in try ManifestOverride(text) }
                _ = try ManifestLoader.load(text: text, file: "m.yaml", overrides: parsed)
                XCTFail("\(name): loaded without an error")
            } catch {
                XCTAssertEqual(error.diagnostics.map(\.description), expected, name)
            }
        }
    }
}
