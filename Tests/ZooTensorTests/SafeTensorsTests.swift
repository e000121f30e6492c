import Foundation
import XCTest
import ZooTensor

final class SafeTensorsTests: XCTestCase {

    // MARK: helpers

    /// The package's `Tests/Fixtures` folder, found from this file's location.
    private var fixtures: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Tests/ZooTensorTests
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Fixtures")
    }

    /// A fresh folder removed when the test ends.
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// A file of header length, header bytes and data bytes, built by hand.
    private func fileBytes(header: [UInt8], data: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        bytes.append(contentsOf: data)
        return bytes
    }

    private func fileBytes(_ header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
        fileBytes(header: Array(header.utf8), data: data, headerLength: headerLength)
    }

    /// A header of one tensor `w`.
    private func oneTensor(_ fields: String) -> String { "{\"w\": {\(fields)}}" }

    private func assertReadError(
        _ data: Data, _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try SafeTensorsArchive(data: data), file: file, line: line) { error in
            XCTAssertEqual(String(describing: error), expected, file: file, line: line)
        }
    }

    private func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

    private func sampleArchive() -> SafeTensorsArchive {
        SafeTensorsArchive(
            metadata: [
                "description": "quote \" backslash \\ newline \n tab \t control \u{01} unicode é ✓",
                "config": "{\"batch\": 4, \"classes\": 3}",
            ],
            tensors: [
                "layer.weight": Tensor(
                    shape: [2, 3],
                    scalars: [1.5, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]),
                "layer.bias": Tensor(shape: [3], scalars: [.greatestFiniteMagnitude, -1e-30, 0.1]),
                "scale": Tensor(shape: [], scalars: [3.25]),
                "empty": Tensor.zeros([0, 3]),
            ],
            indexTensors: [
                "labels": IndexTensor(shape: [4], values: [0, -1, .max, .min]),
                "grid": IndexTensor(shape: [2, 2], values: [1, 2, 3, 4]),
                "no_labels": IndexTensor(shape: [0], values: []),
            ])
    }

    private func assertSameContents(
        _ read: SafeTensorsArchive, _ original: SafeTensorsArchive, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(read.metadata, original.metadata, file: file, line: line)
        XCTAssertEqual(Set(read.tensors.keys), Set(original.tensors.keys), file: file, line: line)
        for (name, tensor) in original.tensors {
            guard let copy = read.tensors[name] else { continue }
            XCTAssertEqual(copy.shape, tensor.shape, name, file: file, line: line)
            XCTAssertEqual(bits(copy), bits(tensor), name, file: file, line: line)
        }
        XCTAssertEqual(read.indexTensors, original.indexTensors, file: file, line: line)
    }

    // MARK: round trips

    func testRoundTripThroughData() throws {
        let original = sampleArchive()
        let read = try SafeTensorsArchive(data: original.serialized())
        assertSameContents(read, original)
        XCTAssertEqual(read.source, "<data>")
        XCTAssertEqual(try read.tensor("scale").shape, [])
        XCTAssertEqual(try read.tensor("empty").shape, [0, 3])
        XCTAssertEqual(try read.tensor("empty").count, 0)
    }

    func testRoundTripThroughFile() throws {
        let url = try temporaryFolder().appendingPathComponent("sample.safetensors")
        let original = sampleArchive()
        try original.write(to: url)
        let read = try SafeTensorsArchive(contentsOf: url)
        assertSameContents(read, original)
        XCTAssertEqual(read.source, url.path)
        XCTAssertEqual(try Data(contentsOf: url), original.serialized())
    }

    func testEmptyArchiveRoundTrips() throws {
        let data = SafeTensorsArchive().serialized()
        XCTAssertEqual(data, fileBytes("{}      "))
        let read = try SafeTensorsArchive(data: data)
        XCTAssertTrue(read.metadata.isEmpty && read.tensors.isEmpty && read.indexTensors.isEmpty)
    }

    // MARK: PyTorch fixtures

    func testReadsLossesFixture() throws {
        let archive = try SafeTensorsArchive(contentsOf: fixtures.appendingPathComponent("losses.safetensors"))
        let labels = try archive.indexTensor("input.labels")
        XCTAssertEqual(labels.shape, [32])
        XCTAssertEqual(Array(labels.values.prefix(8)), [1, 1, 3, 2, 3, 5, 3, 8])
        XCTAssertTrue(labels.values.allSatisfy { (0..<10).contains($0) })
        let logits = try archive.tensor("input.logits")
        XCTAssertEqual(logits.shape, [32, 10])
        XCTAssertEqual(logits.scalars.first, 3.684659719467163)
        XCTAssertEqual(logits.scalars.last, 2.9082064628601074)
        XCTAssertFalse(archive.metadata["description", default: ""].isEmpty)
        let config = try XCTUnwrap(archive.metadata["config"])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["classes"] as? Int, 10)
    }

    func testReadsBatchFormerFixture() throws {
        let archive = try SafeTensorsArchive(
            contentsOf: fixtures.appendingPathComponent("batchformer_v1.safetensors"))
        let weight = try archive.tensor("param.self_attn.in_proj_weight")
        XCTAssertEqual(weight.shape, [192, 64])
        let scalars = weight.scalars
        XCTAssertEqual(Array(scalars.prefix(3)), [-0x1.c3d7b4p-4, -0x1.161b26p-4, 0x1.0be4aap-6])
        XCTAssertEqual(scalars.last, -0x1.7bc0a8p-6)
        XCTAssertTrue(archive.indexTensors.isEmpty)
    }

    // MARK: writing format

    func testSerializedHeaderIsCanonicalAndAligned() throws {
        let archive = SafeTensorsArchive(
            metadata: ["k": "v"],
            tensors: ["b": Tensor(shape: [2], scalars: [1, -2])],
            indexTensors: ["a": IndexTensor(shape: [1], values: [7])])
        let data = archive.serialized()
        let json = "{\"__metadata__\":{\"k\":\"v\"},"
            + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}"
        let padding = (8 - json.utf8.count % 8) % 8
        var expected = fileBytes(json + String(repeating: " ", count: padding))
        expected.append(contentsOf: [7, 0, 0, 0, 0, 0, 0, 0])  // I64 7
        expected.append(contentsOf: [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])  // F32 1, -2
        XCTAssertEqual(data, expected)
        XCTAssertEqual((8 + json.utf8.count + padding) % 8, 0)
    }

    func testIndexTensorsComeFirstSoThatEveryTensorIsAligned() throws {
        // An odd-length F32 tensor named before an I64 one would leave the I64 data 4-byte aligned.
        let archive = SafeTensorsArchive(
            tensors: ["a": Tensor(shape: [3], scalars: [1, 2, 3])],
            indexTensors: ["z": IndexTensor(shape: [2], values: [5, 6])])
        let json = "{\"z\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}}"
        let padding = (8 - json.utf8.count % 8) % 8
        var expected = fileBytes(json + String(repeating: " ", count: padding))
        expected.append(contentsOf: [5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0])
        expected.append(contentsOf: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40])  // F32 1, 2, 3
        XCTAssertEqual(archive.serialized(), expected)
    }

    func testHeaderIsAlignedForEveryNameLength() throws {
        for length in 1...16 {
            let name = String(repeating: "x", count: length)
            let data = SafeTensorsArchive(tensors: [name: Tensor(shape: [1], scalars: [1])]).serialized()
            let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            XCTAssertEqual((8 + headerLength) % 8, 0, name)
            XCTAssertEqual(data.count, 8 + headerLength + 4, name)
            let header = data.subdata(in: 8..<(8 + headerLength))
            XCTAssertEqual(header.first, UInt8(ascii: "{"))
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: header) as? [String: Any], name)
        }
    }

    func testOmitsEmptyMetadata() throws {
        let data = SafeTensorsArchive(tensors: ["t": Tensor(shape: [1], scalars: [0])]).serialized()
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("__metadata__"))
    }

    // MARK: other dtypes

    func testReadsEveryIntegerAndFloatDtype() throws {
        var header: [String] = []
        var buffer: [UInt8] = []
        func add(_ name: String, _ dtype: String, _ shape: [Int], _ bytes: [UInt8]) {
            header.append(
                "\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), "
                    + "\"data_offsets\": [\(buffer.count), \(buffer.count + bytes.count)]}")
            buffer += bytes
        }
        func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
            values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        }
        add("f64", "F64", [2], littleEndian([Double(1.5).bitPattern, Double(-2.25).bitPattern] as [UInt64]))
        add("f16", "F16", [6], littleEndian([0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000] as [UInt16]))
        add("bf16", "BF16", [2], littleEndian([0x3F80, 0xC040] as [UInt16]))
        add("i32", "I32", [2], littleEndian([-1, .max] as [Int32]))
        add("i16", "I16", [1], littleEndian([.min] as [Int16]))
        add("i8", "I8", [2], littleEndian([-128, 127] as [Int8]))
        add("u8", "U8", [1], [255])
        add("u16", "U16", [1], littleEndian([.max] as [UInt16]))
        add("u32", "U32", [1], littleEndian([.max] as [UInt32]))
        add("u64", "U64", [1], littleEndian([UInt64(Int64.max)]))
        add("bool", "BOOL", [3], [0, 1, 2])
        let archive = try SafeTensorsArchive(data: fileBytes("{" + header.joined(separator: ", ") + "}", data: buffer))

        XCTAssertEqual(try archive.tensor("f64").scalars, [1.5, -2.25])
        let half = try archive.tensor("f16").scalars
        XCTAssertEqual(half.map(\.bitPattern),
                       [Float(1), -2, 65504, 0x1p-24, .infinity, -0.0].map(\.bitPattern))
        XCTAssertEqual(try archive.tensor("bf16").scalars, [1, -3])
        XCTAssertEqual(try archive.indexTensor("i32").values, [-1, Int64(Int32.max)])
        XCTAssertEqual(try archive.indexTensor("i16").values, [Int64(Int16.min)])
        XCTAssertEqual(try archive.indexTensor("i8").values, [-128, 127])
        XCTAssertEqual(try archive.indexTensor("u8").values, [255])
        XCTAssertEqual(try archive.indexTensor("u16").values, [65535])
        XCTAssertEqual(try archive.indexTensor("u32").values, [Int64(UInt32.max)])
        XCTAssertEqual(try archive.indexTensor("u64").values, [.max])
        XCTAssertEqual(try archive.indexTensor("bool").values, [0, 1, 1])
        XCTAssertEqual(try archive.indexTensor("bool").shape, [3])
    }

    func testU64ValueBeyondInt64() {
        let header = oneTensor("\"dtype\": \"U64\", \"shape\": [2], \"data_offsets\": [0, 16]")
        let data = [1, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8)
        assertReadError(fileBytes(header, data: data),
                        "<data>: tensor 'w': U64 value 18446744073709551615 at index 1 does not fit in Int64")
    }

    // MARK: lookup errors

    func testMissingTensorNamesClosestKeys() throws {
        let archive = try SafeTensorsArchive(data: SafeTensorsArchive(
            tensors: [
                "param.fc.weight": Tensor.zeros([2, 2]), "param.fc.bias": Tensor.zeros([2]),
                "param.conv1.weight": Tensor.zeros([1]), "input.x": Tensor.zeros([1]),
            ],
            indexTensors: ["input.labels": IndexTensor(shape: [2], values: [0, 1])]).serialized())
        XCTAssertThrowsError(try archive.tensor("param.fc.weigth")) { error in
            XCTAssertEqual(
                String(describing: error),
                "<data>: no tensor named 'param.fc.weigth'; "
                    + "closest: 'param.fc.weight', 'param.fc.bias', 'param.conv1.weight'")
        }
        XCTAssertThrowsError(try archive.indexTensor("input.label")) { error in
            XCTAssertEqual(String(describing: error),
                           "<data>: no index tensor named 'input.label'; closest: 'input.labels'")
        }
        XCTAssertThrowsError(try archive.tensor("input.labels")) { error in
            XCTAssertEqual(
                String(describing: error),
                "<data>: 'input.labels' is an integer tensor of shape [2], not a float tensor; use indexTensor(_:)")
        }
        XCTAssertThrowsError(try archive.indexTensor("input.x")) { error in
            XCTAssertEqual(
                String(describing: error),
                "<data>: 'input.x' is a float tensor of shape [1], not an integer tensor; use tensor(_:)")
        }
        XCTAssertThrowsError(try SafeTensorsArchive().tensor("w")) { error in
            XCTAssertEqual(String(describing: error), "<data>: no tensor named 'w'; the archive has no float tensors")
        }
    }

    func testMissingTensorErrorNamesTheFile() throws {
        let url = try temporaryFolder().appendingPathComponent("weights.safetensors")
        try SafeTensorsArchive(tensors: ["fc.weight": Tensor.zeros([1])]).write(to: url)
        XCTAssertThrowsError(try SafeTensorsArchive(contentsOf: url).tensor("fc.bias")) { error in
            XCTAssertEqual(String(describing: error),
                           "\(url.path): no tensor named 'fc.bias'; closest: 'fc.weight'")
        }
    }

    func testMissingFile() throws {
        let url = try temporaryFolder().appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try SafeTensorsArchive(contentsOf: url)) { error in
            XCTAssertEqual(String(describing: error), "\(url.path): file does not exist")
        }
    }

    // MARK: malformed files

    func testFileShorterThanHeaderLength() {
        assertReadError(Data([1, 2, 3, 4, 5]), "<data>: file is 5 bytes, shorter than the 8-byte header length")
        assertReadError(Data(), "<data>: file is 0 bytes, shorter than the 8-byte header length")
    }

    func testHeaderLengthExceedsFileSize() {
        assertReadError(fileBytes("{}", headerLength: 100), "<data>: header length 100 exceeds file size 10")
        assertReadError(fileBytes("", headerLength: .max),
                        "<data>: header length 18446744073709551615 exceeds file size 8")
    }

    func testHeaderNotUTF8() {
        assertReadError(fileBytes(header: [0x7B, 0xFF, 0x7D]), "<data>: header is not valid UTF-8")
    }

    func testHeaderNotJSON() {
        assertReadError(fileBytes("{\"w\": "), "<data>: header is not valid JSON")
        assertReadError(fileBytes(""), "<data>: header is not valid JSON")
    }

    func testHeaderNotObject() {
        assertReadError(fileBytes("[1, 2]"), "<data>: header is not a JSON object")
        assertReadError(fileBytes("\"w\""), "<data>: header is not a JSON object")
    }

    func testEntryNotObject() {
        assertReadError(fileBytes("{\"w\": [1, 2]}"), "<data>: tensor 'w': entry is not a JSON object")
    }

    func testEntryMissingDtype() {
        assertReadError(fileBytes(oneTensor("\"shape\": [1], \"data_offsets\": [0, 4]"), data: [0, 0, 0, 0]),
                        "<data>: tensor 'w': missing \"dtype\"")
    }

    func testEntryMissingShape() {
        assertReadError(fileBytes(oneTensor("\"dtype\": \"F32\", \"data_offsets\": [0, 4]"), data: [0, 0, 0, 0]),
                        "<data>: tensor 'w': missing \"shape\"")
    }

    func testEntryMissingDataOffsets() {
        assertReadError(fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [1]"), data: [0, 0, 0, 0]),
                        "<data>: tensor 'w': missing \"data_offsets\"")
    }

    func testDtypeNotString() {
        assertReadError(fileBytes(oneTensor("\"dtype\": 4, \"shape\": [1], \"data_offsets\": [0, 4]")),
                        "<data>: tensor 'w': \"dtype\" is not a string")
    }

    func testShapeNotIntegers() {
        for shape in ["[2.5]", "[true]", "[\"2\"]", "2", "null", "[1e3]"] {
            assertReadError(
                fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": \(shape), \"data_offsets\": [0, 4]")),
                "<data>: tensor 'w': \"shape\" is not an array of integers")
        }
    }

    func testDataOffsetsNotTwoIntegers() {
        for offsets in ["[0]", "[0, 4, 8]", "[0, 4.5]", "[false, 4]", "\"0, 4\""] {
            assertReadError(
                fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": \(offsets)")),
                "<data>: tensor 'w': \"data_offsets\" is not an array of two integers")
        }
    }

    func testUnknownDtype() {
        assertReadError(fileBytes(oneTensor("\"dtype\": \"F128\", \"shape\": [1], \"data_offsets\": [0, 16]")),
                        "<data>: tensor 'w': unknown dtype \"F128\"")
    }

    func testUnsupportedDtype() {
        assertReadError(fileBytes(oneTensor("\"dtype\": \"F8_E4M3\", \"shape\": [1], \"data_offsets\": [0, 1]")),
                        "<data>: tensor 'w': dtype \"F8_E4M3\" is not supported")
    }

    func testNegativeDimension() {
        assertReadError(fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 8]")),
                        "<data>: tensor 'w': negative dimension -1 in shape [2, -1]")
    }

    func testDimensionBeyondIntRange() {
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [18446744073709551615], \"data_offsets\": [0, 4]")),
            "<data>: tensor 'w': dimension 18446744073709551615 in \"shape\" is too large")
    }

    func testShapeElementCountOverflow() {
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 4]"),
                      data: [0, 0, 0, 0]),
            "<data>: tensor 'w': shape [4294967296, 4294967296] has too many elements")
        // The element count fits; the byte count does not.
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [2305843009213693952], \"data_offsets\": [0, 4]"),
                      data: [0, 0, 0, 0]),
            "<data>: tensor 'w': shape [2305843009213693952] has too many elements")
    }

    func testDataOffsetsOutsideBuffer() {
        let cases = [
            ("[0, 16]", "data_offsets [0, 16] are outside the data buffer of 8 bytes"),
            ("[-4, 4]", "data_offsets [-4, 4] are outside the data buffer of 8 bytes"),
            ("[0, 18446744073709551615]",
             "data_offsets [0, 18446744073709551615] are outside the data buffer of 8 bytes"),
        ]
        for (offsets, message) in cases {
            assertReadError(
                fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": \(offsets)"),
                          data: [UInt8](repeating: 0, count: 8)),
                "<data>: tensor 'w': " + message)
        }
    }

    func testDataOffsetsEndBeforeBegin() {
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]"),
                      data: [UInt8](repeating: 0, count: 8)),
            "<data>: tensor 'w': data_offsets [8, 4] end before begin")
    }

    func testByteLengthMismatch() {
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]"),
                      data: [UInt8](repeating: 0, count: 20)),
            "<data>: tensor 'w': dtype F32 and shape [2, 3] need 24 bytes, data_offsets [0, 20] hold 20")
    }

    func testOverlappingTensors() {
        let header = "{\"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [8, 24]}, "
            + "\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}"
        assertReadError(fileBytes(header, data: [UInt8](repeating: 0, count: 24)),
                        "<data>: tensors 'a' (data_offsets [0, 16]) and 'b' (data_offsets [8, 24]) overlap")
    }

    func testHoleBetweenTensors() {
        let header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
            + "\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [16, 24]}}"
        assertReadError(fileBytes(header, data: [UInt8](repeating: 0, count: 24)),
                        "<data>: hole in the data buffer: bytes 8..<16 between tensors 'a' and 'b' are not used")
    }

    func testHoleBeforeFirstTensor() {
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]"),
                      data: [UInt8](repeating: 0, count: 16)),
            "<data>: hole in the data buffer: bytes 0..<8 before tensor 'w' are not used")
    }

    func testUnusedBytesAfterLastTensor() {
        assertReadError(
            fileBytes(oneTensor("\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]"),
                      data: [UInt8](repeating: 0, count: 12)),
            "<data>: hole in the data buffer: bytes 8..<12 after tensor 'w' are not used")
        assertReadError(fileBytes("{}", data: [1, 2, 3, 4]),
                        "<data>: hole in the data buffer: bytes 0..<4 are not used by any tensor")
    }

    func testMetadataValueNotString() {
        assertReadError(fileBytes("{\"__metadata__\": {\"name\": \"x\", \"epoch\": 3}}"),
                        "<data>: \"__metadata__\" value for key 'epoch' is not a string")
    }

    func testMetadataNotObject() {
        assertReadError(fileBytes("{\"__metadata__\": [\"x\"]}"), "<data>: \"__metadata__\" is not a JSON object")
    }

    func testSourceNamesTheFile() throws {
        let url = try temporaryFolder().appendingPathComponent("broken.safetensors")
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try SafeTensorsArchive(contentsOf: url)) { error in
            XCTAssertEqual(error as? SafeTensorsError,
                           SafeTensorsError(source: url.path,
                                            message: "file is 3 bytes, shorter than the 8-byte header length"))
        }
    }

    // MARK: writing files

    func testWriteIntoMissingFolderThrowsAndLeavesNoFile() throws {
        let folder = try temporaryFolder().appendingPathComponent("missing")
        let url = folder.appendingPathComponent("out.safetensors")
        XCTAssertThrowsError(try sampleArchive().write(to: url)) { error in
            XCTAssertTrue(
                String(describing: error).hasPrefix("\(url.path): cannot create a temporary file in \(folder.path): "),
                String(describing: error))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    }

    func testWriteReplacesExistingFile() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("model.safetensors")
        let first = SafeTensorsArchive(
            metadata: ["step": "1"], tensors: ["w": Tensor(shape: [1000], scalars: Array(repeating: 1, count: 1000))])
        let second = SafeTensorsArchive(metadata: ["step": "2"], tensors: ["w": Tensor(shape: [2], scalars: [5, 6])])
        try first.write(to: url)
        try second.write(to: url)
        let read = try SafeTensorsArchive(contentsOf: url)
        XCTAssertEqual(read.metadata, ["step": "2"])
        XCTAssertEqual(try read.tensor("w").scalars, [5, 6])
        XCTAssertEqual(try Data(contentsOf: url), second.serialized())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    }

    func testFailedReplaceLeavesNoTemporaryFile() throws {
        let folder = try temporaryFolder()
        let target = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(
            at: target.appendingPathComponent("inside"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try sampleArchive().write(to: target)) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("\(target.path): cannot replace the file: "),
                          String(describing: error))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["taken"])
    }

    func testWriteRejectsAmbiguousNames() throws {
        let url = try temporaryFolder().appendingPathComponent("ambiguous.safetensors")
        let shared = SafeTensorsArchive(
            tensors: ["x": Tensor.zeros([1])], indexTensors: ["x": IndexTensor(shape: [], values: [1])])
        XCTAssertThrowsError(try shared.write(to: url)) { error in
            XCTAssertEqual(String(describing: error),
                           "\(url.path): 'x' names both a float tensor and an index tensor")
        }
        let reserved = SafeTensorsArchive(tensors: ["__metadata__": Tensor.zeros([1])])
        XCTAssertThrowsError(try reserved.write(to: url)) { error in
            XCTAssertEqual(String(describing: error),
                           "\(url.path): '__metadata__' is reserved for the metadata and cannot name a tensor")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
