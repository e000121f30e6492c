extension NumPy {
    /// The pairs of array names (samples, labels) a set of `split` goes by in a `.npz` archive, in
    /// order: `x_train`/`y_train` (or `x_test`/`y_test`), then, in an archive given for that split
    /// alone, `x`/`y`, `images`/`labels` and `features`/`labels`.
    public static func arrayNames(_ split: DataSplit, alone: Bool) -> [(samples: String, labels: String)] {
        let named: (samples: String, labels: String) = split == .train ? ("x_train", "y_train") : ("x_test", "y_test")
        let single: [(samples: String, labels: String)] = [("x", "y"), ("images", "labels"), ("features", "labels")]
        return [named] + (alone ? single : [])
    }

    /// The set of `split` in the arrays of `file`, an archive given for that split: the first
    /// pair of `arrayNames(split, alone: true)` it holds.
    public static func dataset(in arrays: [String: Array], split: DataSplit, file: String) throws -> Dataset {
        guard let found = try pick(arrays, arrayNames(split, alone: true), file: file) else {
            let (samples, labels) = arrayNames(split, alone: false)[0]
            throw DataLayoutError(.missingArrays, "\(file): expected arrays \(samples) and \(labels), or x and y "
                                  + "(found \(arrays.keys.sorted().joined(separator: ", ")))")
        }
        return found
    }

    /// The test set in the arrays of `file`, an archive given for training: `x_test`/`y_test`,
    /// or nil when it holds none.
    public static func testSet(inTrainingArchive arrays: [String: Array], file: String) throws -> Dataset? {
        try pick(arrays, arrayNames(.test, alone: false), file: file)
    }

    private static func pick(_ arrays: [String: Array], _ names: [(samples: String, labels: String)], file: String) throws -> Dataset? {
        for (x, y) in names {
            if let images = arrays[x], let labels = arrays[y] { return try dataset(images: images, labels: labels, file: file) }
        }
        return nil
    }
}
