extension CRoleSource {
    /// A linear classifier: `logits = x Wᵀ + b`.
    static let head = CRoleSource(
        kind: "ZOO_KIND_HEAD",
        summary: "linear classifier: logits = x W^T + b",
        documentation: [
            "Input: features [B, in_dim]. Output: logits [B, num_classes] = x W^T + b. Parameters weight ",
            "[num_classes, in_dim] and bias [num_classes]. The batch and the labels are unchanged.",
        ],
        schema: [
            #"{"type": "object", "additionalProperties": false, "required": ["in_dim", "num_classes"],"#,
            #" "properties": {"#,
            #"  "in_dim": {"type": "integer", "minimum": 1, "description": "feature width D", "x-zoo-from": "input.features"},"#,
            #"  "num_classes": {"type": "integer", "minimum": 1, "description": "classes C", "x-zoo-from": "data.num_classes"}},"#,
            #" "examples": [{"in_dim": 16, "num_classes": 4}],"#,
            #" "x-zoo-example-inputs": [[[4, 16]]]}"#,
        ],
        formula: ["logits = x · Wᵀ + b        x [B, in_dim], W [num_classes, in_dim], b [num_classes] -> [B, num_classes]"],
        configuration: #"{"in_dim": int >= 1, "num_classes": int >= 1}, both filled by the host when a manifest leaves them out."#,
        body: #"""
            /* What a training forward keeps for backward: the input itself, which the host keeps alive and
             * unchanged until it releases the state, so no copy is needed. */
            typedef struct {
                int64_t rows;
                const float *input;
            } saved_input;

            static zoo_status create(const zoo_host_api *host, const char *config_json, void **result, zoo_error *error) {
                double in = 0, classes = 0;
                if (!read_number(config_json, "in_dim", &in) || !read_number(config_json, "num_classes", &classes) || in < 1 || classes < 1)
                    return fail(host, error, ZOO_ERROR_INVALID_CONFIG, MODULE_NAME ": in_dim and num_classes must be integers >= 1");
                return create_module(host, (int64_t)in, (int64_t)classes, result, error);
            }

            static zoo_status output_shapes(void *m, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                            zoo_shape *outputs, zoo_error *error) {
                return feature_shapes(m, input_count, inputs, output_count, outputs, 1, error);
            }

            static zoo_status forward(void *m, zoo_mode mode, int32_t input_count, const DLTensor *inputs, int32_t output_count,
                                      DLTensor *outputs, void **state, zoo_error *error) {
                module *self = m;
                *state = NULL;
                if (input_count != 1 || output_count != 1 || !is_float_matrix(&inputs[0], self->fc.in))
                    return fail(self->host, error, ZOO_ERROR_SHAPE, MODULE_NAME " expects one float32 input [B, in_dim]");
                int64_t rows = inputs[0].shape[0];
                linear_forward(self, inputs[0].data, outputs[0].data, rows);
                if (mode == ZOO_MODE_TRAIN) {
                    saved_input *saved = malloc(sizeof *saved);
                    if (!saved) return fail(self->host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                    saved->rows = rows;
                    saved->input = inputs[0].data;
                    *state = saved;
                }
                return ZOO_OK;
            }

            /* logits = x Wᵀ + b: dx = dlogits W, dW = dlogitsᵀ x, db = the column sums of dlogits. */
            static zoo_status backward(void *m, void *state, int32_t output_count, const DLTensor *output_gradients,
                                       int32_t input_count, DLTensor *input_gradients, int32_t parameter_count,
                                       DLTensor *parameter_gradients, zoo_error *error) {
                module *self = m;
                zoo_status status = check_backward(self, state, output_count, input_count, parameter_count, error);
                if (status != ZOO_OK) return status;
                const saved_input *saved = state;
                linear_backward(&self->fc, saved->input, output_gradients[0].data, saved->rows, input_gradients[0].data,
                                parameter_gradients[0].data, parameter_gradients[1].data);
                return ZOO_OK;
            }

            static void release_state(void *m, void *state) {
                (void)m;
                free(state);
            }

            """#)
}
