import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum SafeTensorsFile {
    /// Writes `data` to a temporary file in `folder`, flushes it, then renames it to `path`.
    /// On any failure the temporary file is removed and `path` is left as it was.
    static func replace(path: String, folder: String, fileName: String, with data: Data) throws {
        func failure(_ what: String, _ code: Int32) -> SafeTensorsError {
            SafeTensorsError(source: path, message: "\(what): \(String(cString: strerror(code)))")
        }
        let temporary = (folder.hasSuffix("/") ? folder : folder + "/") + ".\(fileName).\(getpid()).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(folder)", errno) }

        var written = 0
        var problem: SafeTensorsError?
        data.withUnsafeBytes { raw in
            while written < raw.count, let base = raw.baseAddress {
                let result = systemWrite(descriptor, base + written, raw.count - written)
                if result < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    problem = failure("cannot write \(temporary)", code)
                    return
                }
                written += result
            }
        }
        if problem == nil, fsync(descriptor) != 0 { problem = failure("cannot flush \(temporary)", errno) }
        if close(descriptor) != 0, problem == nil { problem = failure("cannot close \(temporary)", errno) }
        if problem == nil, rename(temporary, path) != 0 { problem = failure("cannot replace the file", errno) }
        if let problem {
            unlink(temporary)
            throw problem
        }
        // Make the rename itself durable; a folder that cannot be flushed is not an error.
        let folderDescriptor = open(folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            _ = close(folderDescriptor)
        }
    }

    /// Removes the temporary files that writes of `fileName` in `folder` left behind when their
    /// process was killed (`.NAME.PID.UUID.tmp` whose process is gone, or of the old form
    /// `.NAME.UUID.tmp`); returns their paths. A write still running in another process keeps its file.
    static func removeAbandoned(folder: String, fileName: String) -> [String] {
        let prefix = ".\(fileName)."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let parts = name.dropFirst(prefix.count).dropLast(4).split(separator: ".")
            if parts.count == 2, let pid = Int32(parts[0]), pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH { continue }
            let path = (folder.hasSuffix("/") ? folder : folder + "/") + name
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #elseif canImport(Musl)
        Musl.write(descriptor, bytes, count)
        #else
        Darwin.write(descriptor, bytes, count)
        #endif
    }
}
