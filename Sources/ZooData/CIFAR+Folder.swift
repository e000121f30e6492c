import Foundation

extension CIFAR {
    /// The batch files of `split` at `url`: the file itself, or in a folder `data_batch_*.bin`
    /// (sorted) and `test_batch.bin` for CIFAR-10, `train.bin` and `test.bin` for CIFAR-100.
    public static func files(at url: URL, split: DataSplit, variant: Variant) throws -> [String] {
        guard DataPath.isFolder(url) else { return [try DataPath.existing(url)] }
        switch (variant, split) {
        case (.cifar100, _):
            return [try DataPath.existing(url.appendingPathComponent(split == .train ? "train.bin" : "test.bin"))]
        case (.cifar10, .test):
            return [try DataPath.existing(url.appendingPathComponent("test_batch.bin"))]
        case (.cifar10, .train):
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
                .filter { $0.hasPrefix("data_batch_") && $0.hasSuffix(".bin") }.sorted()
            guard !names.isEmpty else { throw DataLayoutError(.notFound, "file not found: \(url.path)/data_batch_*.bin") }
            return names.map { url.appendingPathComponent($0).path }
        }
    }

    /// The set of `split` at `url` (see `files(at:split:variant:)`).
    public static func dataset(at url: URL, split: DataSplit, variant: Variant) throws -> Dataset {
        try dataset(files: files(at: url, split: split, variant: variant), variant: variant)
    }
}
