import Foundation
import XCTest
import ZooData

/// Each format's file conventions: the files a folder holds for each split, and the exact
/// message when one is not there.
final class DataLayoutTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// Empty files of these names in the folder (the conventions look at names only).
    func touch(_ names: String...) throws {
        for name in names { try Data().write(to: folder.appendingPathComponent(name)) }
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).standardizedFileURL.path }

    /// The layout error `body` throws.
    func layoutError(_ body: () throws -> Any) -> DataLayoutError? {
        do { _ = try body(); return nil } catch { return error as? DataLayoutError }
    }

    func testIDXFoldersHoldTheMNISTNamesRawOrGzip() throws {
        try touch("train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte")
        let train = try IDX.files(at: folder, split: .train)
        XCTAssertEqual([train.images, train.labels], [path("train-images-idx3-ubyte"), path("train-labels-idx1-ubyte.gz")])
        XCTAssertEqual(layoutError { try IDX.files(at: folder, split: .test) },
                       DataLayoutError(.notFound, "file not found: \(path("t10k-labels-idx1-ubyte")) (or .gz)"))
    }

    func testAnIDXImagesFileNamesItsLabelsFile() throws {
        try touch("fashion-images-idx3-ubyte", "fashion-labels-idx1-ubyte", "other-images.bin", "lonely-images-idx3-ubyte")
        let files = try IDX.files(at: folder.appendingPathComponent("fashion-images-idx3-ubyte"), split: .test)
        XCTAssertEqual([files.images, files.labels], [path("fashion-images-idx3-ubyte"), path("fashion-labels-idx1-ubyte")])
        XCTAssertEqual(layoutError { try IDX.files(at: self.folder.appendingPathComponent("other-images.bin"), split: .train) },
                       DataLayoutError(.misnamed, "\(path("other-images.bin")): expected a folder, or an images file named …images-idx3…"))
        XCTAssertEqual(layoutError { try IDX.files(at: self.folder.appendingPathComponent("lonely-images-idx3-ubyte"), split: .train) },
                       DataLayoutError(.notFound, "file not found: \(path("lonely-labels-idx1-ubyte"))"))
        XCTAssertEqual(layoutError { try IDX.files(at: self.folder.appendingPathComponent("absent-images-idx3-ubyte"), split: .train) },
                       DataLayoutError(.notFound, "file not found: \(path("absent-images-idx3-ubyte"))"))
    }

    func testCIFARFoldersHoldTheBatchFilesOfEachVariant() throws {
        XCTAssertEqual(layoutError { try CIFAR.files(at: self.folder, split: .train, variant: .cifar10) },
                       DataLayoutError(.notFound, "file not found: \(folder.path)/data_batch_*.bin"))
        XCTAssertEqual(layoutError { try CIFAR.files(at: self.folder, split: .test, variant: .cifar10) },
                       DataLayoutError(.notFound, "file not found: \(path("test_batch.bin"))"))
        XCTAssertEqual(layoutError { try CIFAR.files(at: self.folder, split: .train, variant: .cifar100) },
                       DataLayoutError(.notFound, "file not found: \(path("train.bin"))"))
        try touch("data_batch_2.bin", "data_batch_1.bin", "data_batch_1.txt", "test_batch.bin", "train.bin", "test.bin")
        XCTAssertEqual(try CIFAR.files(at: folder, split: .train, variant: .cifar10),
                       ["data_batch_1.bin", "data_batch_2.bin"].map { folder.appendingPathComponent($0).path })
        XCTAssertEqual(try CIFAR.files(at: folder, split: .test, variant: .cifar10), [path("test_batch.bin")])
        XCTAssertEqual(try CIFAR.files(at: folder, split: .train, variant: .cifar100), [path("train.bin")])
        XCTAssertEqual(try CIFAR.files(at: folder, split: .test, variant: .cifar100), [path("test.bin")])
        XCTAssertEqual(try CIFAR.files(at: folder.appendingPathComponent("train.bin"), split: .test, variant: .cifar10), [path("train.bin")])
    }

    func testNumPyArchivesGoByTheSplitsArrayNames() throws {
        func pair(_ count: Int) -> (NumPy.Array, NumPy.Array) {
            (NumPy.Array(shape: [count, 2], elements: .floats(Array(repeating: 0.5, count: 2 * count))),
             NumPy.Array(shape: [count], elements: .integers(Array(0..<count))))
        }
        let (x, y) = pair(3), (xTest, yTest) = pair(2)
        XCTAssertEqual(try NumPy.dataset(in: ["x_train": x, "y_train": y, "x": xTest, "y": yTest], split: .train, file: "a.npz").count, 3)
        XCTAssertEqual(try NumPy.dataset(in: ["images": x, "labels": y], split: .test, file: "a.npz").count, 3)
        XCTAssertEqual(try NumPy.testSet(inTrainingArchive: ["x_train": x, "y_train": y, "x_test": xTest, "y_test": yTest], file: "a.npz")?.count, 2)
        XCTAssertNil(try NumPy.testSet(inTrainingArchive: ["x": x, "y": y], file: "a.npz"), "x and y are the training set's alone")
        XCTAssertEqual(layoutError { try NumPy.dataset(in: ["x_train": x, "labels": y], split: .train, file: "a.npz") },
                       DataLayoutError(.missingArrays, "a.npz: expected arrays x_train and y_train, or x and y (found labels, x_train)"))
        XCTAssertEqual(layoutError { try NumPy.dataset(in: [:], split: .test, file: "b.npz") },
                       DataLayoutError(.missingArrays, "b.npz: expected arrays x_test and y_test, or x and y (found )"))
    }

    func testImageNetLTFoldersHoldTheStandardListFiles() throws {
        XCTAssertEqual(DataSplit.allCases.map(ImageList.standardName), ["ImageNet_LT_train.txt", "ImageNet_LT_test.txt"])
        XCTAssertEqual(layoutError { try ImageList.dataset(at: self.folder, split: .test) },
                       DataLayoutError(.notFound, "file not found: \(path("ImageNet_LT_test.txt"))"))
        XCTAssertEqual(layoutError { try ImageList.dataset(at: self.folder.appendingPathComponent("mine.txt"), split: .train) },
                       DataLayoutError(.notFound, "file not found: \(path("mine.txt"))"))
    }

    func testACSVSetIsOneFile() {
        XCTAssertEqual(layoutError { try CSV.dataset(at: self.folder.appendingPathComponent("sub/../absent.csv")) },
                       DataLayoutError(.notFound, "file not found: \(path("absent.csv"))"))
    }
}
