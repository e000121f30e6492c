/// Which samples of a data set a path is read for: the training set or the test set. A format's
/// folder holds both under its standard names (`train-…` and `t10k-…`, `data_batch_*.bin` and
/// `test_batch.bin`, …), and the split picks the names.
public enum DataSplit: Sendable, CaseIterable {
    case train, test
}
