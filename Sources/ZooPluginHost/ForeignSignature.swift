import Foundation

/// The C signature of a foreign element-wise kernel, parsed from text such as
/// `void(const float* in, float* out, int64_t n, float alpha, int32_t mode)`.
///
/// Two forms are supported, each followed by any number of scalar arguments whose values come
/// from the manifest:
///
///     forward:    void(const float* input, float* output, int64_t count, <scalars>)
///     derivative: void(const float* input, const float* output_gradient, float* input_gradient,
///                      int64_t count, <scalars>)
///
/// with `<scalars>` each one of `int32_t`, `int64_t`, `float`, `double`, `bool`.
public struct ForeignSignature: Equatable, Sendable {
    public enum Form: Sendable { case forward, derivative }

    public enum Scalar: String, Equatable, Sendable, CaseIterable {
        case int32 = "int32_t", int64 = "int64_t", float, double, bool
    }

    public let form: Form
    /// The trailing scalar parameters, in order.
    public let scalars: [Scalar]

    static let supportedForms = """
        supported forms are
          forward:    void(const float* input, float* output, int64_t count, <scalars>)
          derivative: void(const float* input, const float* output_gradient, float* input_gradient, int64_t count, <scalars>)
        where each of <scalars> is int32_t, int64_t, float, double or bool
        """

    /// Parses `text` as `form`; throws `ForeignFunctionError` naming the signature and the supported forms.
    public init(parsing text: String, as form: Form) throws {
        func unsupported(_ reason: String) -> ForeignFunctionError {
            ForeignFunctionError("unsupported signature `\(text)`: \(reason); " + ForeignSignature.supportedForms)
        }
        let compact = text.trimmingCharacters(in: .whitespaces)
        guard let open = compact.firstIndex(of: "("), compact.hasSuffix(")") else {
            throw unsupported("expected `void(parameters)`")
        }
        guard Self.normalizedType(String(compact[..<open])) == "void" else { throw unsupported("the result must be void") }
        let inside = compact[compact.index(after: open)..<compact.index(before: compact.endIndex)]
        let types = inside.split(separator: ",", omittingEmptySubsequences: false).map { Self.normalizedType(String($0)) }
        let fixed = form == .forward
            ? ["const float*", "float*", "int64_t"]
            : ["const float*", "const float*", "float*", "int64_t"]
        guard types.count >= fixed.count, Array(types.prefix(fixed.count)) == fixed else {
            throw unsupported("the \(form == .forward ? "forward" : "derivative") form starts with \(fixed.joined(separator: ", "))")
        }
        var scalars: [Scalar] = []
        for type in types.dropFirst(fixed.count) {
            guard let scalar = Scalar(rawValue: type == "_Bool" ? "bool" : type) else {
                throw unsupported("`\(type)` is not a supported scalar")
            }
            scalars.append(scalar)
        }
        self.form = form
        self.scalars = scalars
    }

    /// A parameter's type without its name, with `const` and `*` spelled one way: `const float*`.
    static func normalizedType(_ parameter: String) -> String {
        let spaced = parameter.replacingOccurrences(of: "*", with: " * ")
        var words = spaced.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        let known: Set<String> = ["const", "float", "double", "void", "int32_t", "int64_t", "bool", "_Bool", "*"]
        if let last = words.last, !known.contains(last), words.count > 1 { words.removeLast() }   // the parameter's name
        let isConst = words.contains("const")
        let stars = words.filter { $0 == "*" }.count
        let base = words.filter { $0 != "const" && $0 != "*" }.joined(separator: " ")
        return (isConst ? "const " : "") + base + String(repeating: "*", count: stars)
    }
}

/// A foreign function that cannot be loaded or called as asked.
public struct ForeignFunctionError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

