import Foundation

/// The `manifest.yaml` and `README.md` of a scaffold, in either language: the manifest trains the
/// scaffold's module for one epoch on synthetic data, with Zoo's built-in modules in the other
/// stages; the README says how to build, check and train it.
struct ScaffoldDocuments {
    let name: ScaffoldName
    let role: ScaffoldRole
    let language: ScaffoldLanguage
    /// The built library, relative to the scaffold's folder.
    let library: String
    /// The source file, relative to the scaffold's folder.
    let source: String
    /// The `zoo` that wrote the scaffold, and the folder of its built-in plug-ins when it has them.
    let zoo: URL
    let builtIns: URL?

    private var builtInsText: String { builtIns?.path ?? "<folder of Zoo's built-in plug-ins>" }

    /// A short description of the module the role's template holds.
    private var what: String {
        switch role {
        case .backbone: "a linear layer and tanh"
        case .head: "a linear classifier"
        case .loss: "cross-entropy with label smoothing"
        case .relation: "a two-stream batch relation, as BatchFormer"
        }
    }

    var manifest: String {
        let plugin = language == .swift
            ? "  - path: \(library)   # this plug-in, relative to this folder"
            : "  - name: \(name.name)   # this plug-in: the host finds \(library) in this folder"
        let builtIns = [ScaffoldRole.backbone: "zoo-backbones", .head: "zoo-heads", .loss: "zoo-losses"]
            .filter { $0.key != role }.sorted { $0.value < $1.value }.map { "  - name: \($0.value)" }
        let module = name.name
        return """
            zoo: 1
            # Trains the \(module) \(role.rawValue) for one epoch on synthetic data, with Zoo's built-in modules in the
            # other stages. After building (README.md), from this folder:
            #   zoo train manifest.yaml --plugin-path \(builtInsText)
            plugins:
            \((builtIns + [plugin]).joined(separator: "\n"))
            model:
              backbone: \(role == .backbone ? "{module: \(module)}" : "{module: mlp, config: {hidden: [32]}}")
            \(role == .relation ? "  relations:\n    - {module: \(module), learning_rate_multiplier: 0.1}\n" : "")\
              head: {module: \(role == .head ? module : "linear")}
              losses:
                - {module: \(role == .loss ? module : "cross-entropy")}
            data:
              format: synthetic
              input_shape: [16]
              num_classes: 4
            training:
              epochs: 1
              batch_size: 32
            output:
              folder: runs

            """
    }

    var readme: String {
        let build = language == .swift ? "swift build" : "make"
        let check = language == .swift ? library : "./\(library)"
        let intro = language == .swift
            ? "`\(source)` is one \(role.rawValue) module, `\(name.name)` (\(what)), written with ZooPluginKit."
            : "`\(source)` is one \(role.rawValue) module, `\(name.name)` (\(what)), written in C against Zoo's plug-in header `zoo_plugin.h`, its backward by hand."
        return """
            # \(name.name): a \(role.rawValue) plug-in for Zoo, in \(language == .swift ? "Swift" : "C")

            \(intro) `manifest.yaml` trains it for one epoch on synthetic data with Zoo's built-in modules in the other stages.

            ```sh
            \(Self.commented([(build, library), ("zoo plugin check \(check)", "forward, backward against finite differences, refusals")]))
            zoo train manifest.yaml --plugin-path \(builtInsText)
            ```

            `zoo` is the Zoo command line (here: `\(zoo.path)`); `--plugin-path` names the folder of Zoo's built-in plug-ins; the run folder is under `runs/`.

            \(language == .swift ? swiftNotes : cNotes)

            """
    }

    /// Shell lines with their comments aligned.
    static func commented(_ lines: [(command: String, comment: String)]) -> String {
        let width = lines.map(\.command.count).max() ?? 0
        return lines.map { $0.command + String(repeating: " ", count: width - $0.command.count) + "   # " + $0.comment }
            .joined(separator: "\n")
    }

    private var swiftNotes: String {
        """
        The manifest names the library by its path from its own folder (`path: \(library)`); after `swift build -c release`, write `.build/release/…` there.

        Zoo comes in `Package.swift` as a dependency by path, `.package(name: "Zoo", path: "/path/to/zoo")`, or by URL from its git repository, `.package(url: "\(SwiftPackageTemplate.zooURLPlaceholder)", branch: "main")` (a branch or a revision, not a version: SwiftPM allows Zoo's unsafe build flags only in local and branch- or revision-based dependencies). `Package.swift` holds both forms; one is commented out.
        """
    }

    private var cNotes: String {
        """
        The manifest names the plug-in `\(name.name)`: the host finds `\(library)` in the manifest's own folder.

        `make` finds the header with `zoo plugin header` (`make ZOO=/path/to/zoo` for another zoo), else with `pkg-config --cflags zoo-plugin`. The header includes `<dlpack/dlpack.h>`: from the header's folder when the installation carries a copy, else from the system (Debian: `libdlpack-dev`).
        """
    }
}
