/// What one role's C module is: its descriptor's fields, its schema, the comment at the top of
/// the file and the functions that compute it (create, output_shapes, forward, backward,
/// release_state, and for a module without parameters destroy, parameter_count, parameters).
/// The module name appears in the C code only as `MODULE_NAME`.
struct CRoleSource {
    var kind: String
    var inputCount = 1
    var batchEffect = "ZOO_BATCH_UNCHANGED"
    var trainingOnly = false
    var summary: String
    /// Lines of the descriptor's documentation.
    var documentation: [String]
    /// Lines of the configuration's JSON Schema (joined, one JSON object).
    var schema: [String]
    /// The formula, for the comment at the top of the file.
    var formula: [String]
    /// The configuration in one line, for the same comment.
    var configuration: String
    /// Whether the module is a linear map with parameters (`CModuleTemplate`'s shared part).
    var usesLinear = true
    var body: String
}
