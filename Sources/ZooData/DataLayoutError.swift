/// A path that does not hold what its format's conventions expect: a file that is not there, a
/// file named against the conventions, or an archive without the arrays of the set asked for.
/// `message` says which, without the manifest key the caller names the path by.
public struct DataLayoutError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// No file at the path, or not the format's standard names in the folder.
        case notFound
        /// A file whose name does not follow the format's convention (e.g. an IDX images file
        /// whose labels file cannot be named from it).
        case misnamed
        /// An archive that holds none of the array pairs the set goes by.
        case missingArrays
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
