import ArgumentParser

/// The name of a plug-in that `zoo plugin new` writes, and the names derived from it: the plug-in
/// and its one module are both called `name`; Swift code uses `camelCase`, C code `identifier`.
struct ScaffoldName: Equatable {
    /// `[a-z][a-z0-9-]*`, e.g. `focal-loss2`.
    let name: String

    /// The rule, as the refusal states it.
    static let rule = "a lowercase letter, then lowercase letters, digits and '-' ([a-z][a-z0-9-]*)"

    init(_ text: String) throws {
        let letters = Array(text.unicodeScalars)
        let isLetter = { (c: Unicode.Scalar) in c >= "a" && c <= "z" }
        let isDigit = { (c: Unicode.Scalar) in c >= "0" && c <= "9" }
        guard let first = letters.first, isLetter(first), letters.allSatisfy({ isLetter($0) || isDigit($0) || $0 == "-" }) else {
            throw ValidationError("plug-in name \"\(text)\" is not valid: use \(Self.rule), e.g. focal-loss2")
        }
        guard text != "zoo", !text.hasPrefix("zoo-") else {
            throw ValidationError("plug-in name \"\(text)\" is Zoo's own: zoo and names beginning with zoo- belong to the built-in plug-ins")
        }
        name = text
    }

    /// Upper camel case, each `-`-separated part capitalised: `focal-loss2` → `FocalLoss2`.
    var camelCase: String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// A C identifier: `focal-loss2` → `focal_loss2`.
    var identifier: String { name.replacingOccurrences(of: "-", with: "_") }
}

/// The role of the module a scaffold holds.
enum ScaffoldRole: String, CaseIterable, ExpressibleByArgument {
    case backbone, head, loss, relation

    /// The word a Swift type name of this role ends with: `Focal2` + `Loss`.
    var typeSuffix: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// The language of a scaffold.
enum ScaffoldLanguage: String, EnumerableFlag {
    case swift, c
}
