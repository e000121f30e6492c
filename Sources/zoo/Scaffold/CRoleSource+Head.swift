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

            \#(CSignature.create)
                double in = 0, classes = 0;
                if (!read_number(config_json, "in_dim", &in) || !read_number(config_json, "num_classes", &classes) || in < 1 || classes < 1)
                    return fail(host, error, ZOO_ERROR_INVALID_CONFIG, MODULE_NAME ": in_dim and num_classes must be integers >= 1");
                return create_module(host, (int64_t)in, (int64_t)classes, result, error);
            }

            \#(CSignature.linearForward)
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
            \#(CSignature.linearBackward)
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
