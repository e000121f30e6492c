extension CRoleSource {
    /// One linear layer and tanh: `features = tanh(x Wᵀ + b)` (smooth, so finite differences agree
    /// with backward everywhere).
    static let backbone = CRoleSource(
        kind: "ZOO_KIND_BACKBONE",
        summary: "one linear layer and tanh: features [B, in_dim] -> [B, out_dim]",
        documentation: [
            "Input: features [B, in_dim]. Output: features [B, out_dim] = tanh(x W^T + b). Parameters weight ",
            "[out_dim, in_dim] and bias [out_dim], initialised as torch.nn.Linear.",
        ],
        schema: [
            #"{"type": "object", "additionalProperties": false, "required": ["in_dim"],"#,
            #" "properties": {"#,
            #"  "in_dim": {"type": "integer", "minimum": 1, "description": "input width D", "x-zoo-from": "input.features"},"#,
            #"  "out_dim": {"type": "integer", "minimum": 1, "default": 32, "description": "width of the features it gives"}},"#,
            #" "examples": [{"in_dim": 16, "out_dim": 8}],"#,
            #" "x-zoo-example-inputs": [[[4, 16]]]}"#,
        ],
        formula: ["features = tanh(x · Wᵀ + b)        x [B, in_dim], W [out_dim, in_dim], b [out_dim] -> [B, out_dim]"],
        configuration: #"{"in_dim": int >= 1 (filled by the host from the data), "out_dim": int >= 1 (default 32)}."#,
        body: #"""
            /* What a training forward keeps for backward: the input, which the host keeps alive and unchanged
             * until it releases the state, and a copy of the activations y = tanh(W x + b) (the output buffer
             * is the host's: a plug-in must not keep its pointer). */
            typedef struct {
                int64_t rows;
                const float *input;
                float *activations; /* [rows, out_dim] */
            } saved_forward;

            \#(CSignature.create)
                double in = 0, out = 32;
                if (!read_number(config_json, "in_dim", &in) || in < 1)
                    return fail(host, error, ZOO_ERROR_INVALID_CONFIG, MODULE_NAME ": in_dim must be an integer >= 1");
                read_number(config_json, "out_dim", &out);
                if (out < 1) return fail(host, error, ZOO_ERROR_INVALID_CONFIG, MODULE_NAME ": out_dim must be an integer >= 1");
                return create_module(host, (int64_t)in, (int64_t)out, result, error);
            }

            \#(CSignature.linearForward)
                int64_t rows = inputs[0].shape[0], count = rows * self->fc.out;
                float *y = outputs[0].data;
                linear_forward(self, inputs[0].data, y, rows);
                for (int64_t i = 0; i < count; i++) y[i] = tanhf(y[i]);
                if (mode == ZOO_MODE_TRAIN) {
                    saved_forward *saved = malloc(sizeof *saved);
                    float *activations = self->host->allocate(self->host->context, sizeof(float) * (size_t)count);
                    if (!saved || !activations) {
                        free(saved);
                        if (activations) self->host->release(self->host->context, activations);
                        return fail(self->host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                    }
                    memcpy(activations, y, sizeof(float) * (size_t)count);
                    *saved = (saved_forward){.rows = rows, .input = inputs[0].data, .activations = activations};
                    *state = saved;
                }
                return ZOO_OK;
            }

            /* y = tanh(z), z = W x + b: dz = dy (1 - y²), then through the linear map: dx = dz W, dW = dzᵀ x,
             * db = the column sums of dz. */
            \#(CSignature.linearBackward)
                const saved_forward *saved = state;
                int64_t count = saved->rows * self->fc.out;
                const float *dy = output_gradients[0].data, *y = saved->activations;
                float *dz = self->host->allocate(self->host->context, sizeof(float) * (size_t)count);
                if (!dz) return fail(self->host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                for (int64_t i = 0; i < count; i++) dz[i] = dy[i] * (1.0f - y[i] * y[i]);
                linear_backward(&self->fc, saved->input, dz, saved->rows, input_gradients[0].data, parameter_gradients[0].data,
                                parameter_gradients[1].data);
                self->host->release(self->host->context, dz);
                return ZOO_OK;
            }

            static void release_state(void *m, void *state) {
                module *self = m;
                saved_forward *saved = state;
                if (!saved) return;
                self->host->release(self->host->context, saved->activations);
                free(saved);
            }

            """#)
}
