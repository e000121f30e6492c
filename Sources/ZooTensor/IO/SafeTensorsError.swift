import Foundation

/// A problem reading or writing a safetensors file: where (`source`) and what (`message`).
///
/// `description` is `"<source>: <message>"`, for example
/// `model.safetensors: tensor 'fc.weight': unknown dtype "F128"`.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The file path, or `"<data>"` for bytes that did not come from a file.
    public let source: String
    /// What is wrong, naming the tensor key where there is one.
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}

extension SafeTensorsError: LocalizedError {
    public var errorDescription: String? { description }
}
