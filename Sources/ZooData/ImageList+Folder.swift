import Foundation

extension ImageList {
    /// The list file of `split` in an ImageNet-LT folder: `ImageNet_LT_train.txt` or `ImageNet_LT_test.txt`.
    public static func standardName(_ split: DataSplit) -> String {
        split == .train ? "ImageNet_LT_train.txt" : "ImageNet_LT_test.txt"
    }

    /// The set of `split` at `url`: a list file with its shards, or a folder holding the list
    /// file of the standard name (see `dataset(list:classCount:)`).
    public static func dataset(at url: URL, split: DataSplit, classCount: Int? = nil) throws -> Dataset {
        let list = DataPath.isFolder(url) ? url.appendingPathComponent(standardName(split)) : url
        return try dataset(list: DataPath.existing(list), classCount: classCount)
    }
}
