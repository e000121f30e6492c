import Foundation

extension IDX {
    /// The MNIST family's file names for `split`: `train-images-idx3-ubyte` and
    /// `train-labels-idx1-ubyte`, or `t10k-…` for the test set (each optionally `.gz`).
    public static func standardNames(_ split: DataSplit) -> (images: String, labels: String) {
        let prefix = split == .train ? "train" : "t10k"
        return ("\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte")
    }

    /// The images and labels files of `split` at `url`: a folder holding the standard names, or
    /// an images file whose labels file is named with `labels-idx1` in place of `images-idx3`.
    public static func files(at url: URL, split: DataSplit) throws -> (images: String, labels: String) {
        if DataPath.isFolder(url) {
            let names = standardNames(split)
            return (try DataPath.member(names.images, in: url), try DataPath.member(names.labels, in: url))
        }
        let images = try DataPath.existing(url)
        guard images.contains("images-idx3") else {
            throw DataLayoutError(.misnamed, "\(images): expected a folder, or an images file named …images-idx3…")
        }
        let labels = images.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
        return (images, try DataPath.existing(URL(fileURLWithPath: labels)))
    }

    /// The set of `split` at `url` (see `files(at:split:)`).
    public static func dataset(at url: URL, split: DataSplit) throws -> Dataset {
        let (images, labels) = try files(at: url, split: split)
        return try dataset(images: images, labels: labels)
    }
}
