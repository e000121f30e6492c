import Foundation
import ZooData
import ZooManifest
import ZooPluginHost
import ZooTensor
import ZooTrain

/// One reader under fuzzing: the file name its input is written to (readers take paths, and some
/// infer the format from the name), whether the format is text, and what reading means: every
/// call a user's command makes on such a file. A thrown error is a refusal, which is the right
/// outcome for a damaged file; a crash or a hang is a bug.
struct FuzzTarget: Sendable {
    let name: String
    let fileName: String
    let textual: Bool
    /// Inputs made here, added to those of the corpus folder.
    let builtInSeeds: @Sendable () -> [[UInt8]]
    /// Files the reader needs beside its input (a list's shard, an image file's labels).
    let companions: @Sendable (_ folder: URL) throws -> Void
    let read: @Sendable (_ file: URL) throws -> Void

    init(_ name: String, file: String, textual: Bool = false, seeds: @escaping @Sendable () -> [[UInt8]] = { [] },
         companions: @escaping @Sendable (URL) throws -> Void = { _ in }, read: @escaping @Sendable (URL) throws -> Void) {
        (self.name, fileName, self.textual, builtInSeeds, self.companions, self.read) = (name, file, textual, seeds, companions, read)
    }
}

extension FuzzTarget {
    static let all: [FuzzTarget] = [idx, npy, npz, csv, cifar, imageList, imageShard, safetensors, checkpoint, manifest, elf]

    static let idx = FuzzTarget("idx", file: "fuzz-images-idx3-ubyte", seeds: { [Seeds.idxImages, Seeds.idxLabels] }) { file in
        let (shape, _) = try IDX.read(file.path)
        if shape.count == 3, shape[0] <= 4096 {
            // As training reads it: with a labels file for the same number of images.
            let labels = file.deletingLastPathComponent().appendingPathComponent("fuzz-labels-idx1-ubyte")
            try Data(Seeds.idx(shape: [shape[0]], body: [UInt8](repeating: 1, count: shape[0]))).write(to: labels)
            _ = try IDX.dataset(images: file.path, labels: labels.path)
        }
    }

    static let npy = FuzzTarget("npy", file: "fuzz.npy", seeds: { [Seeds.npy("|u1", [3, 2, 2], Array(0..<12)), Seeds.npy("<i8", [3], Seeds.int64s([0, 1, 2]))] }) { file in
        let array = try NumPy.load(file.path)
        if let count = array.shape.first, count <= 4096 {
            _ = try NumPy.dataset(images: array, labels: NumPy.Array(shape: [count], elements: .integers(Array(repeating: 0, count: count))),
                                  file: file.path)
        }
    }

    static let npz = FuzzTarget("npz", file: "fuzz.npz") { file in
        let arrays = try NumPy.loadArchive(file.path)
        if let x = arrays["x_train"] ?? arrays["images"], let y = arrays["y_train"] ?? arrays["labels"] {
            _ = try NumPy.dataset(images: x, labels: y, file: file.path)
        }
    }

    static let csv = FuzzTarget("csv", file: "fuzz.csv", textual: true,
                                seeds: { [Array("a,b,label\n1.5,-2,0\n3,4e-3,1\n0,0,2\n".utf8)] }) { file in
        _ = try CSV.dataset(file.path)
    }

    static let cifar = FuzzTarget("cifar", file: "fuzz.bin", seeds: { [Seeds.cifar(records: 2)] }) { file in
        _ = try CIFAR.dataset(files: [file.path], variant: .cifar10)
        _ = try? CIFAR.dataset(files: [file.path], variant: .cifar100)
    }

    static let imageList = FuzzTarget("imagenet-list", file: "fuzz_list.txt", textual: true,
                                      seeds: { [Array("train/n01/a.JPEG 0\ntrain/n02/b.JPEG 1\n\ntrain/n03/c.JPEG 2\n".utf8)] },
                                      companions: { folder in
        try Data(Seeds.npy("|u1", [3, 3, 2, 2], Array(repeating: 9, count: 36))).write(to: folder.appendingPathComponent("fuzz_list-00000.npy"))
    }) { file in
        let set = try ImageList.dataset(list: file.path, classCount: nil)
        _ = set.batch(Array(0..<set.count))
    }

    static let imageShard = FuzzTarget("imagenet-shard", file: "fuzz_shard-00000.npy",
                                       seeds: { [Seeds.npy("|u1", [3, 3, 2, 2], Array(0..<36))] },
                                       companions: { folder in
        try Data("a.JPEG 0\nb.JPEG 1\nc.JPEG 2\n".utf8).write(to: folder.appendingPathComponent("fuzz_shard.txt"))
    }) { file in
        let set = try ImageList.dataset(list: file.deletingLastPathComponent().appendingPathComponent("fuzz_shard.txt").path, classCount: 3)
        _ = set.batch(Array(0..<set.count))
    }

    static let safetensors = FuzzTarget("safetensors", file: "fuzz.safetensors", seeds: { [Seeds.checkpoint()] }) { file in
        let archive = try SafeTensorsArchive(contentsOf: file)
        for tensor in archive.tensors.values { _ = tensor.scalars.reduce(0, +) }
    }

    static let checkpoint = FuzzTarget("checkpoint", file: "fuzz-checkpoint.safetensors", seeds: { [Seeds.checkpoint()] }) { file in
        let archive = try Checkpoint.read(file)
        _ = try Checkpoint.position(archive, file: file)
        _ = Checkpoint.classCounts(archive)
        try Checkpoint.restoreGenerator(archive, file: file, into: HostSession(seed: 0))
    }

    static let manifest = FuzzTarget("manifest", file: "fuzz-manifest.yaml", textual: true, seeds: { [Array(Seeds.manifest.utf8)] }) { file in
        let loaded = try ManifestLoader.load(file: file)
        if loaded.manifest.data?.format == .synthetic {
            _ = try TrainingData.load(loaded.manifest, folder: file.deletingLastPathComponent())
        }
    }

    static let elf = FuzzTarget("elf", file: "fuzz.so") { file in
        _ = try ELFInspector.validate(path: file.path)
    }
}
