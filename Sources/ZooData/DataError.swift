/// A data file that cannot be read as asked: names the file and what was expected and found.
public struct DataError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
