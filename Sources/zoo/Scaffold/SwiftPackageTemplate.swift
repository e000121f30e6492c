import Foundation

/// The SwiftPM package `zoo plugin new NAME --swift` writes: `Package.swift`, one source file with
/// the module and the entry point; the manifest and README come from `ScaffoldDocuments`.
struct SwiftPackageTemplate {
    let name: ScaffoldName
    let role: ScaffoldRole
    /// The Zoo checkout to depend on by path; nil: depend on Zoo's git repository.
    let zooCheckout: URL?

    /// The product, `lib<product>.so`.
    var product: String { name.camelCase }
    var target: String { name.camelCase + "Plugin" }
    /// The module's type: `Focal2` + `Loss`, or the camel-case name alone when it names the role
    /// (`FocalLoss2`).
    var typeName: String { name.camelCase.contains(role.typeSuffix) ? name.camelCase : name.camelCase + role.typeSuffix }
    var sourcePath: String { "Sources/\(target)/\(typeName).swift" }
    /// The debug build's library, relative to the package folder.
    var libraryPath: String { ".build/debug/lib\(product).so" }

    /// Where Zoo's git repository is, for the URL form (Zoo's own repository does not record one).
    static let zooURLPlaceholder = "https://github.com/OWNER/zoo.git"

    var files: [(path: String, text: String)] {
        [("Package.swift", packageSwift), (sourcePath, SwiftModuleTemplate(name: name, role: role, typeName: typeName).source)]
    }

    var packageSwift: String {
        let byURL = ".package(url: \"\(Self.zooURLPlaceholder)\", branch: \"main\")"
        let dependency: String
        if let zooCheckout {
            dependency = """
                /// Zoo by path: the checkout this package was written from.
                let zoo: Package.Dependency = .package(name: "Zoo", path: "\(zooCheckout.path)")
                // Or Zoo from its git repository (replace OWNER/zoo with where you take Zoo from), by branch or
                // revision: SwiftPM allows Zoo's unsafe build flags only in local and branch- or revision-based
                // dependencies, not in ones resolved by version.
                // let zoo: Package.Dependency = \(byURL)
                """
        } else {
            dependency = """
                /// Zoo from its git repository (replace OWNER/zoo with where you take Zoo from), by branch or
                /// revision: SwiftPM allows Zoo's unsafe build flags only in local and branch- or revision-based
                /// dependencies, not in ones resolved by version.
                let zoo: Package.Dependency = \(byURL)
                // Or Zoo by path, from a checkout of it:
                // let zoo: Package.Dependency = .package(name: "Zoo", path: "/path/to/zoo")
                """
        }
        return """
            // swift-tools-version: 6.0
            // The \(name.name) plug-in for Zoo: one dynamic library, lib\(product).so, that the zoo host loads at
            // run time. Build: swift build (.build/debug/lib\(product).so).
            import PackageDescription

            \(dependency)

            let package = Package(
                name: "\(product)",
                products: [
                    .library(name: "\(product)", type: .dynamic, targets: ["\(target)"]),
                ],
                dependencies: [zoo],
                targets: [
                    .target(
                        name: "\(target)", dependencies: [.product(name: "ZooPluginKit", package: "Zoo")],
                        // The library carries its own copy of Zoo's modules (the kit, ZooNN, ZooTensor), and the zoo
                        // process that loads it has another. -Bsymbolic binds the library's references to its own
                        // definitions, so that its copy never resolves to the host's: without it, the dynamic linker
                        // would mix the two copies' code and state. Zoo's own plug-ins link the same way.
                        linkerSettings: [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]),
                ]
            )

            """
    }
}
