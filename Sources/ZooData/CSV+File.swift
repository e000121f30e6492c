import Foundation

extension CSV {
    /// The set in the file at `url`, which must exist (a CSV set is always one file).
    public static func dataset(at url: URL) throws -> Dataset {
        try dataset(DataPath.existing(url))
    }
}
