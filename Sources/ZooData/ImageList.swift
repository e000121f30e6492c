import Foundation

/// The ImageNet-LT list files (`ImageNet_LT_train.txt`, `ImageNet_LT_test.txt`, from the OLTR
/// project; Places-LT's lists have the same form) paired with the images converted to `.npy` shards.
///
/// A set is a list file `NAME.txt` of lines `PATH LABEL` (e.g. `train/<wnid>/<wnid>_<number>.JPEG 7`;
/// blank lines are skipped) and, beside it, the shards `NAME-00000.npy`, `NAME-00001.npy`, … numbered
/// from 00000 without gaps. Each shard is a uint8 array `[n, 3, H, W]` (channels first, RGB), and the
/// shards in order hold the list's images in the list's order, one per line: the labels come from the
/// list. `Examples/tools/imagenet_lt_to_npy.py` makes the shards from the JPEG files.
///
/// ```swift
/// let train = try ImageList.dataset(list: "data/ImageNet_LT/ImageNet_LT_train.txt", classCount: 1000)
/// ```
public enum ImageList {
    /// The labels of a list file, in order; every malformed line and out-of-range label is an error
    /// naming the file and the line.
    public static func labels(_ path: String, classCount: Int?) throws -> [Int] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        var labels: [Int] = []
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, line) in lines.enumerated() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty { continue }
            let place = "line \(offset + 1)"
            guard fields.count >= 2, let label = Int(fields.last!) else {
                throw DataError(file: path, "\(place): expected an image path and an integer label, found \"\(line.trimmingCharacters(in: .whitespacesAndNewlines))\"")
            }
            if let classCount, !(0..<classCount).contains(label) {
                throw DataError(file: path, "\(place): label \(label) is outside 0..<\(classCount)")
            }
            guard label >= 0 else { throw DataError(file: path, "\(place): label \(label) is negative") }
            labels.append(label)
        }
        guard !labels.isEmpty else { throw DataError(file: path, "no samples: expected lines of an image path and an integer label") }
        return labels
    }

    /// The shards of the list file `path`: `NAME-00000.npy`, `NAME-00001.npy`, … beside it.
    public static func shardPaths(list path: String) throws -> [String] {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let stem = url.deletingPathExtension().lastPathComponent
        var numbers: [Int] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            guard name.hasPrefix(stem + "-"), name.hasSuffix(".npy") else { continue }
            let digits = name.dropFirst(stem.count + 1).dropLast(4)
            if digits.count == 5, digits.allSatisfy(\.isASCII), let number = Int(digits) { numbers.append(number) }
        }
        numbers.sort()
        func shard(_ number: Int) -> String { folder.appendingPathComponent(stem + "-" + String(format: "%05d", number) + ".npy").path }
        guard !numbers.isEmpty else {
            throw DataError(file: path, "no image shards beside it: expected \(stem)-00000.npy, \(stem)-00001.npy, … "
                                + "(Examples/tools/imagenet_lt_to_npy.py makes them)")
        }
        for (expected, number) in numbers.enumerated() where number != expected {
            throw DataError(file: shard(expected), "file not found, while \(stem)-\(String(format: "%05d", number)).npy is there: "
                                + "the shards are numbered from 00000 without gaps")
        }
        return numbers.map(shard)
    }

    /// The set of the list file `path` and its shards. With `classCount`, labels must lie in
    /// `0..<classCount` and the set has that many classes; without, the largest label + 1.
    public static func dataset(list path: String, classCount: Int? = nil) throws -> Dataset {
        let labels = try labels(path, classCount: classCount)
        let paths = try shardPaths(list: path)
        let shards = try ImageShards(paths: paths)
        guard shards.count == labels.count else {
            let names = paths.count == 1 ? "shard \(URL(fileURLWithPath: paths[0]).lastPathComponent) holds"
                : "\(paths.count) shards \(URL(fileURLWithPath: paths[0]).lastPathComponent) … \(URL(fileURLWithPath: paths.last!).lastPathComponent) hold"
            throw DataError(file: path, "\(labels.count) samples listed, the \(names) \(shards.count) images")
        }
        return try Dataset.checked(values: .shards(shards), sampleShape: shards.sampleShape, labels: labels,
                                   classCount: classCount, file: path)
    }
}
