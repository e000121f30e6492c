/// A problem with a run: its data, its checkpoint or its numbers. `isUsage` marks the problems
/// that are the manifest's or the command line's (a file that is not there, a checkpoint that does
/// not fit the model): the command line exits 2 for those and 1 for the others.
public struct TrainError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var isUsage: Bool
    public init(_ message: String, isUsage: Bool = false) {
        self.message = message
        self.isUsage = isUsage
    }
    public var description: String { message }
}
