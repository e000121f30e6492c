import Foundation
import ZooTensor
import ZooTrain

/// Small valid inputs of each format, made here so that every target has a seed even without its
/// corpus folder.
enum Seeds {
    /// An IDX file of unsigned bytes.
    static func idx(shape: [Int], body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 8, UInt8(shape.count)]
        for extent in shape { bytes += (0..<4).map { UInt8(truncatingIfNeeded: extent >> (8 * (3 - $0))) } }
        return bytes + body
    }
    static let idxImages = idx(shape: [3, 2, 2], body: Array(0..<12))
    static let idxLabels = idx(shape: [3], body: [0, 1, 2])

    /// A `.npy` file (format 1.0).
    static func npy(_ descriptor: String, _ shape: [Int], _ body: [UInt8]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = Array("{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + body
    }

    static func int64s(_ values: [Int64]) -> [UInt8] {
        values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }

    /// CIFAR-10 records.
    static func cifar(records: Int) -> [UInt8] {
        (0..<records).flatMap { [UInt8($0 % 10)] + [UInt8](repeating: UInt8($0), count: 3072) }
    }

    /// A checkpoint as the trainer writes one: two tensors and its metadata.
    static func checkpoint() -> [UInt8] {
        let metadata = [
            Checkpoint.formatKey: "pt", Checkpoint.epochKey: "1", Checkpoint.stepKey: "4",
            Checkpoint.positionKey: #"{"epoch":1,"epoch_step":0,"step":4,"loss_sum":0,"correct":0,"rows":0,"samples":0,"seconds":1.5}"#,
            Checkpoint.generatorKey: "1,2,3,4", Checkpoint.classCountsKey: "[5,3,1]",
        ]
        let tensors = ["backbone.weight": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), "head.bias": Tensor(shape: [3], scalars: [0, 0.5, -1])]
        return [UInt8](SafeTensorsArchive(metadata: metadata, tensors: tensors).serialized())
    }

    static let manifest = """
        zoo: 1
        model:
          backbone: {module: mlp, config: {hidden: [8]}}
          relations:
            - module: batchformer-v1
              learning_rate_multiplier: 0.1
          head: {module: linear}
          losses:
            - {module: cross-entropy, weight: 1}
        data:
          format: synthetic
          input_shape: [4]
          num_classes: 3
          class_counts: [20, 10, 5]
        training: {epochs: 2, batch_size: 8, seed: 3}
        optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9, weight_decay: 0.0005}
        schedule: {name: cosine, warmup_epochs: 1}
        evaluation: {every: 1}

        """
}
