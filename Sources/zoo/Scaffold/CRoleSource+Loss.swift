extension CRoleSource {
    /// Cross-entropy with label smoothing; a module without parameters.
    static let loss = CRoleSource(
        kind: "ZOO_KIND_LOSS",
        inputCount: 2,
        summary: "cross-entropy with label smoothing",
        documentation: [
            "Inputs: logits [B, C] (float32) and labels [B] (int64 class indices). Output: the scalar loss, the batch ",
            "mean of -sum_c q_c log softmax(logits)_c with q = (1 - smoothing) onehot(y) + smoothing / C.",
        ],
        schema: [
            #"{"type": "object", "additionalProperties": false,"#,
            #" "properties": {"#,
            #"  "smoothing": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.1,"#,
            #"                "description": "label smoothing: the weight spread evenly over the classes"}},"#,
            #" "examples": [{"smoothing": 0.1}],"#,
            #" "x-zoo-example-inputs": [[[4, 10]]]}"#,
        ],
        formula: [
            "loss = mean_r ( -sum_c q_rc log p_rc ),  p_r = softmax(z_r),  q_r = (1 - smoothing) onehot(y_r) + smoothing / C",
            "     = mean_r ( logsumexp(z_r) - (1 - smoothing) z_r,y - smoothing / C sum_c z_rc )",
            "z [B, C] float32 logits, y [B] int64 labels -> a scalar []",
        ],
        configuration: #"{"smoothing": number in [0, 1), default 0.1}; 0 is plain cross-entropy."#,
        usesLinear: false,
        body: #"""
            typedef struct {
                const zoo_host_api *host;
                float smoothing;
            } module;

            /* What a training forward keeps for backward: the logits (host memory, kept alive and unchanged
             * until the host releases the state), a copy of the labels and each row's log-sum-exp. */
            typedef struct {
                int64_t rows, classes;
                const float *logits;
                int64_t *labels;  /* [rows] */
                double *log_sums; /* [rows] */
            } saved_forward;

            static void release_state(void *m, void *state) {
                (void)m;
                saved_forward *saved = state;
                if (!saved) return;
                free(saved->labels);
                free(saved->log_sums);
                free(saved);
            }

            \#(CSignature.create)
                double smoothing = 0.1;
                read_number(config_json, "smoothing", &smoothing);
                if (!(smoothing >= 0 && smoothing < 1))
                    return fail(host, error, ZOO_ERROR_INVALID_CONFIG, MODULE_NAME ": smoothing must be a number in [0, 1)");
                module *self = calloc(1, sizeof *self);
                if (!self) return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                self->host = host;
                self->smoothing = (float)smoothing;
                *result = self;
                return ZOO_OK;
            }

            static void destroy(void *m) { free(m); }

            /* Logits [B, C] and labels [B] -> a scalar. */
            static zoo_status output_shapes(void *m, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                            zoo_shape *outputs, zoo_error *error) {
                module *self = m;
                if (input_count != 2 || output_count != 1)
                    return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME " takes logits and labels and gives one output");
                if (inputs[0].rank != 2 || inputs[0].dims[1] < 1 || inputs[1].rank != 1 || inputs[1].dims[0] != inputs[0].dims[0]) {
                    char message[160];
                    snprintf(message, sizeof message, MODULE_NAME ": expected logits [B, C] and labels [B], got inputs of rank %d and %d",
                             inputs[0].rank, inputs[1].rank);
                    return fail(self->host, error, ZOO_ERROR_SHAPE, message);
                }
                outputs[0].rank = 0;
                return ZOO_OK;
            }

            \#(CSignature.forward)
                module *self = m;
                *state = NULL;
                if (input_count != 2 || output_count != 1 || !is_float_matrix(&inputs[0], -1) || inputs[1].ndim != 1 ||
                    inputs[1].dtype.code != kDLInt || inputs[1].dtype.bits != 64 || inputs[1].shape[0] != inputs[0].shape[0])
                    return fail(self->host, error, ZOO_ERROR_SHAPE, MODULE_NAME " expects float32 logits [B, C] and int64 labels [B]");
                int64_t rows = inputs[0].shape[0], classes = inputs[0].shape[1];
                const float *logits = inputs[0].data;
                const int64_t *labels = inputs[1].data;
                for (int64_t r = 0; r < rows; r++)
                    if (labels[r] < 0 || labels[r] >= classes) {
                        char message[160];
                        snprintf(message, sizeof message, MODULE_NAME ": label %lld in row %lld is outside 0..<%lld",
                                 (long long)labels[r], (long long)r, (long long)classes);
                        return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, message);
                    }
                saved_forward *saved = calloc(1, sizeof *saved);
                if (saved) {
                    saved->labels = malloc(sizeof(int64_t) * (size_t)rows);
                    saved->log_sums = malloc(sizeof(double) * (size_t)rows);
                }
                if (!saved || !saved->labels || !saved->log_sums) {
                    release_state(self, saved);
                    return fail(self->host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
                }
                saved->rows = rows;
                saved->classes = classes;
                saved->logits = logits;
                memcpy(saved->labels, labels, sizeof(int64_t) * (size_t)rows);
                double total = 0, smoothing = self->smoothing;
                for (int64_t r = 0; r < rows; r++) {
                    const float *z = logits + r * classes;
                    double largest = z[0], exponentials = 0, logit_sum = 0;
                    for (int64_t c = 1; c < classes; c++) largest = z[c] > largest ? z[c] : largest;
                    for (int64_t c = 0; c < classes; c++) {
                        exponentials += exp(z[c] - largest);
                        logit_sum += z[c];
                    }
                    double log_sum = largest + log(exponentials);
                    saved->log_sums[r] = log_sum;
                    total += log_sum - (1 - smoothing) * z[labels[r]] - smoothing / (double)classes * logit_sum;
                }
                ((float *)outputs[0].data)[0] = rows > 0 ? (float)(total / (double)rows) : 0.0f;
                if (mode == ZOO_MODE_TRAIN)
                    *state = saved;
                else
                    release_state(self, saved);
                return ZOO_OK;
            }

            /* d loss / d z_rc = g / B (p_rc - q_rc): the softmax minus the smoothed target, times the output
             * gradient g over the batch size. The labels have no gradient. */
            \#(CSignature.backward)
                module *self = m;
                const saved_forward *saved = state;
                (void)parameter_gradients;
                if (!saved) return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME ": backward without a training forward");
                if (output_count != 1 || input_count != 2 || parameter_count != 0)
                    return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME ": wrong tensor counts in backward");
                float *dz = input_gradients[0].data; /* [B, C], NULL when the host does not need it */
                if (!dz) return ZOO_OK;
                int64_t classes = saved->classes;
                double smoothing = self->smoothing, spread = smoothing / (double)classes;
                double scale = ((const float *)output_gradients[0].data)[0] / (double)saved->rows;
                for (int64_t r = 0; r < saved->rows; r++) {
                    const float *z = saved->logits + r * classes;
                    for (int64_t c = 0; c < classes; c++) {
                        double p = exp(z[c] - saved->log_sums[r]), q = spread + (c == saved->labels[r] ? 1 - smoothing : 0);
                        dz[r * classes + c] = (float)(scale * (p - q));
                    }
                }
                return ZOO_OK;
            }

            static int32_t parameter_count(void *m) {
                (void)m;
                return 0;
            }

            static zoo_status parameters(void *m, int32_t capacity, zoo_named_tensor *out, zoo_error *error) {
                (void)m, (void)capacity, (void)out, (void)error;
                return ZOO_OK;
            }

            """#)
}
