extension CRoleSource {
    /// A batch relation, two-stream and training only as BatchFormer: every sample of the second
    /// stream receives a learned summary of the batch, `f(x)_i = x_i + tanh(m Wᵀ + b)`.
    static let relation = CRoleSource(
        kind: "ZOO_KIND_RELATION",
        batchEffect: "ZOO_BATCH_TWO_STREAM",
        trainingOnly: true,
        batchFactor: 2,
        summary: "adds a learned summary of the batch to every sample (two-stream, training only)",
        documentation: [
            "Input: features [B, dim]. Output: concat([x, f(x)], axis 0), [2B, dim], with ",
            "f(x)_i = x_i + tanh(mean_j(x_j) W^T + b): the batch doubles and the host duplicates the labels. ",
            "Training only: in evaluation the host does not run it. Parameters weight [dim, dim] and bias [dim].",
        ],
        schema: [
            #"{"type": "object", "additionalProperties": false, "required": ["dim"],"#,
            #" "properties": {"#,
            #"  "dim": {"type": "integer", "minimum": 1, "description": "feature width D", "x-zoo-from": "input.features"}},"#,
            #" "examples": [{"dim": 16}],"#,
            #" "x-zoo-example-inputs": [[[4, 16]]]}"#,
        ],
        formula: [
            "y = concat([x, f(x)], axis 0),  f(x)_i = x_i + tanh(m · Wᵀ + b),  m = mean_i x_i",
            "x [B, dim], W [dim, dim], b [dim] -> y [2B, dim]",
            "",
            "Two-stream (ZOO_BATCH_TWO_STREAM): the batch doubles and the host duplicates the labels, so one",
            "head and one loss see both streams. Training only: in evaluation the host does not run it.",
        ],
        configuration: #"{"dim": int >= 1}, filled by the host from the features' width when a manifest leaves it out."#,
        body: #"""
            /* What a forward computes besides its output, and a training forward keeps for backward: the input
             * (kept alive by the host until it releases the state), the batch mean m and the summary
             * t = tanh(W m + b). */
            typedef struct {
                int64_t rows;
                const float *input;
                float *mean, *summary; /* [dim] each, in values */
                float values[];
            } saved_forward;

            \#(CSignature.create)
                double dim = 0;
                if (!read_number(config_json, "dim", &dim) || dim < 1)
                    return fail(host, error, ZOO_ERROR_INVALID_CONFIG, MODULE_NAME ": dim must be an integer >= 1");
                return create_module(host, (int64_t)dim, (int64_t)dim, result, error);
            }

            \#(CSignature.linearForward)
                int64_t d = self->fc.in;
                int64_t rows = inputs[0].shape[0];
                const float *x = inputs[0].data;
                float *y = outputs[0].data; /* [2 rows, d]: x, then f(x) */
                saved_forward *saved = malloc(sizeof *saved + sizeof(float) * (size_t)(2 * d));
                if (!saved) return fail(self->host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                saved->rows = rows;
                saved->input = x;
                saved->mean = saved->values;
                saved->summary = saved->values + d;
                for (int64_t k = 0; k < d; k++) saved->mean[k] = 0;
                for (int64_t r = 0; r < rows; r++)
                    for (int64_t k = 0; k < d; k++) saved->mean[k] += x[r * d + k] / (float)rows;
                linear_forward(self, saved->mean, saved->summary, 1);
                for (int64_t k = 0; k < d; k++) saved->summary[k] = tanhf(saved->summary[k]);
                memcpy(y, x, sizeof(float) * (size_t)(rows * d));
                for (int64_t r = 0; r < rows; r++)
                    for (int64_t k = 0; k < d; k++) y[(rows + r) * d + k] = x[r * d + k] + saved->summary[k];
                if (mode == ZOO_MODE_TRAIN)
                    *state = saved;
                else
                    free(saved);
                return ZOO_OK;
            }

            /* t = tanh(u), u = W m + b, is added to every row of the second stream: dt = the sum of the second
             * stream's rows of dy, du = dt (1 - t²); through the linear map (one row): dm = du W, dW = du mᵀ,
             * db = du. x reaches the output three ways, as itself (first stream), in x + t (second stream) and
             * through m: dx_i = dy_i + dy_(B+i) + dm / B. */
            \#(CSignature.linearBackward)
                const saved_forward *saved = state;
                int64_t rows = saved->rows, d = self->fc.in;
                const float *dy = output_gradients[0].data; /* [2 rows, d]: the first stream's rows, then the second's */
                float *dx = input_gradients[0].data;
                float *du = malloc(sizeof(float) * (size_t)(2 * d));
                if (!du) return fail(self->host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                float *dm = du + d;
                for (int64_t k = 0; k < d; k++) {
                    float total = 0;
                    for (int64_t r = 0; r < rows; r++) total += dy[(rows + r) * d + k];
                    du[k] = total * (1.0f - saved->summary[k] * saved->summary[k]);
                }
                linear_backward(&self->fc, saved->mean, du, 1, dx ? dm : NULL, parameter_gradients[0].data,
                                parameter_gradients[1].data);
                if (dx)
                    for (int64_t r = 0; r < rows; r++)
                        for (int64_t k = 0; k < d; k++) dx[r * d + k] = dy[r * d + k] + dy[(rows + r) * d + k] + dm[k] / (float)rows;
                free(du);
                return ZOO_OK;
            }

            static void release_state(void *m, void *state) {
                (void)m;
                free(state);
            }

            """#)
}
