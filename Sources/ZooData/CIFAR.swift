import Foundation

/// The CIFAR binary format: records of a label byte (CIFAR-10) or a coarse and a fine label byte
/// (CIFAR-100, the fine label is used) followed by 3×32×32 bytes, channel by channel.
public enum CIFAR {
    public enum Variant: Sendable { case cifar10, cifar100 }

    /// Reads one or more batch files into a dataset of `[3, 32, 32]` samples.
    public static func dataset(files: [String], variant: Variant) throws -> Dataset {
        let labelBytes = variant == .cifar10 ? 1 : 2
        let record = labelBytes + 3072
        var images: [UInt8] = [], labels: [Int] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw DataError(file: file, "cannot read the file") }
            guard !data.isEmpty, data.count % record == 0 else {
                throw DataError(file: file, "size \(data.count) bytes is not a whole number of \(record)-byte "
                                    + "\(variant == .cifar10 ? "CIFAR-10" : "CIFAR-100") records")
            }
            let bytes = [UInt8](data)
            for start in stride(from: 0, to: bytes.count, by: record) {
                let label = Int(bytes[start + labelBytes - 1])
                let classes = variant == .cifar10 ? 10 : 100
                guard label < classes else {
                    throw DataError(file: file, "record \(start / record) has label \(label), outside 0..<\(classes)")
                }
                labels.append(label)
                images.append(contentsOf: bytes[(start + labelBytes)..<(start + record)])
            }
        }
        return try Dataset.checked(values: .bytes(images), sampleShape: [3, 32, 32], labels: labels,
                                   classCount: variant == .cifar10 ? 10 : 100, file: files.joined(separator: ", "))
    }
}
