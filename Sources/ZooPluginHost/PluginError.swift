/// Why a plug-in could not be found, loaded or registered.
///
/// `message` is one line that names the file and the step that failed and says what to do;
/// `code` and `step` let callers react without parsing it.
public struct PluginError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// No file by that name or path (the message lists where the host looked).
        case fileNotFound
        /// The path names a directory, a device, a pipe, ...
        case notRegularFile
        /// The file exists but could not be opened or read.
        case cannotOpen
        /// The library or its folder is writable by every user.
        case worldWritable
        /// The pinned SHA-256 is not 64 hexadecimal digits.
        case invalidPin
        /// The file's SHA-256 differs from the pinned one.
        case hashMismatch
        /// `dlopen` refused the file.
        case notSharedLibrary
        /// The library exports no `zoo_plugin_entry_v1`.
        case missingEntrySymbol
        /// The entry point returned NULL.
        case entryFailed
        /// The plug-in was built for another major version, or a newer minor version.
        case versionMismatch
        /// `zoo_plugin_info` or a module descriptor breaks the header's rules.
        case invalidDescriptor
        /// Two loaded plug-ins share a plug-in name.
        case duplicatePlugin
        /// Two modules share a name (in one library, or across loaded plug-ins).
        case duplicateModule
        /// A registry look-up named a plug-in or module that is not loaded.
        case moduleNotFound
    }

    /// The step of loading that failed.
    public enum Step: String, Sendable, Equatable {
        case locate, open, permissions, integrity, inspect, dlopen
        case entrySymbol = "entry symbol"
        case handshake, validation, registration, lookup
    }

    public var code: Code
    public var message: String
    /// The library's path, when the error concerns one file.
    public var path: String?
    public var step: Step

    public init(_ code: Code, _ message: String, path: String?, step: Step) {
        self.code = code
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.path = path
        self.step = step
    }

    /// The message (one line).
    public var description: String { message }
}
