/// What one role's C module is: its descriptor's fields, its schema, the comment at the top of
/// the file and the functions that compute it (create, output_shapes, forward, backward,
/// release_state, and for a module without parameters destroy, parameter_count, parameters).
/// The module name appears in the C code only as `MODULE_NAME`.
struct CRoleSource {
    var kind: String
    var inputCount = 1
    var batchEffect = "ZOO_BATCH_UNCHANGED"
    var trainingOnly = false
    /// The output's batch over the input's: 2 for a two-stream module.
    var batchFactor = 1
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

/// The C signatures of the functions every role defines.
enum CSignature {
    static let create = "static zoo_status create(const zoo_host_api *host, const char *config_json, void **result, zoo_error *error) {"
    static let forward = """
        static zoo_status forward(void *m, zoo_mode mode, int32_t input_count, const DLTensor *inputs, int32_t output_count,
                                  DLTensor *outputs, void **state, zoo_error *error) {
        """
    static let backward = """
        static zoo_status backward(void *m, void *state, int32_t output_count, const DLTensor *output_gradients,
                                   int32_t input_count, DLTensor *input_gradients, int32_t parameter_count,
                                   DLTensor *parameter_gradients, zoo_error *error) {
        """
    /// The forward of a linear role, up to its inputs checked (`self`, `status`).
    static let linearForward = forward + """

            module *self = m;
            *state = NULL;
            zoo_status status = check_features(self, input_count, inputs, output_count, error);
            if (status != ZOO_OK) return status;
        """
    /// The backward of a linear role, up to its state and counts checked (`self`, `status`).
    static let linearBackward = backward + """

            module *self = m;
            zoo_status status = check_backward(self, state, output_count, input_count, parameter_count, error);
            if (status != ZOO_OK) return status;
        """
}
