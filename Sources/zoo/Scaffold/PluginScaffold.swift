import Foundation

/// The files of a new out-of-tree plug-in, and their writing into a folder of their own.
struct PluginScaffold {
    let name: ScaffoldName
    let role: ScaffoldRole
    let language: ScaffoldLanguage
    /// The Zoo checkout a Swift package depends on by path (nil: by URL).
    let zooCheckout: URL?
    /// The `zoo` executable writing it, and its built-in plug-ins' folder, for the README.
    let zoo: URL
    let builtIns: URL?

    /// Each file's path inside the scaffold's folder and its text.
    var files: [(path: String, text: String)] {
        switch language {
        case .swift:
            let package = SwiftPackageTemplate(name: name, role: role, zooCheckout: zooCheckout)
            return package.files + documents(library: package.libraryPath, source: package.sourcePath)
        case .c:
            let module = CModuleTemplate(name: name, role: role)
            let makefile = CMakefileTemplate(name: name, sourceFile: module.fileName)
            return [(module.fileName, module.source), ("Makefile", makefile.text)]
                + documents(library: makefile.library, source: module.fileName)
        }
    }

    private func documents(library: String, source: String) -> [(path: String, text: String)] {
        let documents = ScaffoldDocuments(name: name, role: role, language: language, library: library, source: source,
                                          zoo: zoo, builtIns: builtIns)
        return [("manifest.yaml", documents.manifest), ("README.md", documents.readme)]
    }

    /// Writes the files into `folder`, each atomically (a temporary file renamed into place), and
    /// returns their URLs. A folder that exists and is not empty is refused, so nothing of the
    /// user's is ever replaced.
    func write(into folder: URL) throws -> [URL] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw CommandFailure(message: "\(folder.path) exists and is not a folder: choose another name or --dir")
            }
            let entries = try manager.contentsOfDirectory(atPath: folder.path)
            guard entries.isEmpty else {
                throw CommandFailure(message: "\(folder.path) exists and is not empty (\(entries.count) entr\(entries.count == 1 ? "y" : "ies")): "
                                     + "choose another name or --dir, or remove it")
            }
        }
        return try files.map { file in
            let url = folder.appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.text.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
    }
}
