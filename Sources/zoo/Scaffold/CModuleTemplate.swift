/// The C source `zoo plugin new NAME --c` writes: one module of the role against `zoo_plugin.h`,
/// forward and backward by hand, in the C example's structure. The parts every role shares are
/// here; what a role computes is its `CRoleSource`.
struct CModuleTemplate {
    let name: ScaffoldName
    let role: ScaffoldRole

    var fileName: String { "\(name.identifier).c" }

    var roleSource: CRoleSource {
        switch role {
        case .head: .head
        case .backbone: .backbone
        case .relation: .relation
        case .loss: .loss
        }
    }

    var source: String {
        let part = roleSource
        return [header(part), Self.prelude, part.usesLinear ? Self.linear(batchFactor: part.batchFactor) : nil, part.body, descriptor(part)]
            .compactMap { $0 }.joined(separator: "\n")
    }

    private func header(_ part: CRoleSource) -> String {
        """
        /*
         * \(name.name): a \(role.rawValue) module for Zoo, in plain C against zoo_plugin.h, its backward written by hand.
         *
        \(part.formula.map { $0.isEmpty ? " *" : " *   \($0)" }.joined(separator: "\n"))
         *
         * Configuration: \(part.configuration)
         * Build with `make` (lib\(name.name).so), check with `zoo plugin check ./lib\(name.name).so`.
         */
        #include <math.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>

        #include "zoo_plugin.h"

        #define MODULE_NAME "\(name.name)"

        """
    }

    /// Errors, the configuration reader and the input check every role uses.
    private static let prelude = #"""
        /* Reports a failure through the host and returns its status. */
        static zoo_status fail(const zoo_host_api *host, zoo_error *error, zoo_status status, const char *message) {
            host->set_error(error, status, message);
            return status;
        }

        /* The number after "key": in the flat JSON object the host passes to create, already validated
         * against the schema with its defaults filled in. */
        static int read_number(const char *json, const char *key, double *value) {
            char quoted[64];
            snprintf(quoted, sizeof quoted, "\"%s\"", key);
            const char *at = strstr(json, quoted);
            if (!at) return 0;
            at = strchr(at + strlen(quoted), ':');
            if (!at) return 0;
            char *end;
            *value = strtod(at + 1, &end);
            return end != at + 1;
        }

        /* Whether t is a dense float32 matrix [rows, columns] (any width when columns < 0). */
        static int is_float_matrix(const DLTensor *t, int64_t columns) {
            return t->ndim == 2 && t->dtype.code == kDLFloat && t->dtype.bits == 32 && t->dtype.lanes == 1 &&
                   t->strides == NULL && (columns < 0 || t->shape[1] == columns);
        }

        """#

    /// The linear map of the roles with parameters (head, backbone, relation): the module, its
    /// parameters, forward rows and backward, and the checks of features `[B, in]` in, `[batchFactor·B, out]` out.
    private static func linear(batchFactor: Int) -> String {
        #"""
        /* SplitMix64: initial weights come from the run's seed (host->seed), so runs repeat. */
        static uint64_t next_random(uint64_t *state) {
            uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            return z ^ (z >> 31);
        }

        /* y = W x + b, W [out, in], b [out]: parameters the plug-in owns and the host reads and updates
         * in place (optimiser steps, checkpoints) between calls. */
        typedef struct {
            int64_t in, out;
            float *weight, *bias;
            int64_t weight_shape[2], bias_shape[1];
        } linear;

        typedef struct {
            const zoo_host_api *host;
            linear fc;
        } module;

        /* Makes the module with W and b drawn from U(-1/sqrt(in), 1/sqrt(in)), as torch.nn.Linear. */
        static zoo_status create_module(const zoo_host_api *host, int64_t in, int64_t out, void **result, zoo_error *error) {
            module *self = calloc(1, sizeof *self);
            if (!self) return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
            self->host = host;
            linear *l = &self->fc;
            l->in = in;
            l->out = out;
            l->weight = host->allocate(host->context, sizeof(float) * (size_t)(in * out));
            l->bias = host->allocate(host->context, sizeof(float) * (size_t)out);
            if (!l->weight || !l->bias) {
                if (l->weight) host->release(host->context, l->weight);
                if (l->bias) host->release(host->context, l->bias);
                free(self);
                return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, MODULE_NAME ": out of memory");
            }
            uint64_t random = host->seed;
            float bound = 1.0f / sqrtf((float)in);
            for (int64_t i = 0; i < in * out; i++) l->weight[i] = bound * (2.0f * (float)(next_random(&random) >> 40) / 16777216.0f - 1.0f);
            for (int64_t o = 0; o < out; o++) l->bias[o] = bound * (2.0f * (float)(next_random(&random) >> 40) / 16777216.0f - 1.0f);
            l->weight_shape[0] = out;
            l->weight_shape[1] = in;
            l->bias_shape[0] = out;
            *result = self;
            return ZOO_OK;
        }

        static void destroy(void *m) {
            module *self = m;
            self->host->release(self->host->context, self->fc.weight);
            self->host->release(self->host->context, self->fc.bias);
            free(self);
        }

        /* y[r] = W x[r] + b for the rows begin..<end of x [rows, in], into y [rows, out]. */
        static void linear_rows(const linear *l, const float *x, float *y, int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; r++)
                for (int64_t o = 0; o < l->out; o++) {
                    float total = l->bias[o];
                    for (int64_t i = 0; i < l->in; i++) total += l->weight[o * l->in + i] * x[r * l->in + i];
                    y[r * l->out + o] = total;
                }
        }

        typedef struct {
            const linear *fc;
            const float *x;
            float *y;
        } rows_job;

        static void forward_rows(void *context, int64_t begin, int64_t end) {
            const rows_job *job = context;
            linear_rows(job->fc, job->x, job->y, begin, end);
        }

        /* y = W x + b for every row of x [rows, in], the rows spread over the host's threads. */
        static void linear_forward(const module *self, const float *x, float *y, int64_t rows) {
            rows_job job = {&self->fc, x, y};
            self->host->parallel_for(self->host->context, rows, forward_rows, &job);
        }

        /* Features [B, in] -> [\#(batchFactor == 1 ? "B" : "\(batchFactor)B"), out]; anything else is refused. */
        static zoo_status output_shapes(void *m, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                        zoo_shape *outputs, zoo_error *error) {
            const module *self = m;
            if (input_count != 1 || output_count != 1)
                return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME " takes one input and gives one output");
            if (inputs[0].rank != 2 || inputs[0].dims[0] < 1 || inputs[0].dims[1] != self->fc.in) {
                char message[160];
                snprintf(message, sizeof message, MODULE_NAME ": expected features [B, %lld] with B >= 1, got an input of rank %d",
                         (long long)self->fc.in, inputs[0].rank);
                return fail(self->host, error, ZOO_ERROR_SHAPE, message);
            }
            outputs[0].rank = 2;
            outputs[0].dims[0] = \#(batchFactor == 1 ? "" : "\(batchFactor) * ")inputs[0].dims[0];
            outputs[0].dims[1] = self->fc.out;
            return ZOO_OK;
        }

        /* Refuses a forward's inputs unless they are one float32 matrix [B, in] with B >= 1. */
        static zoo_status check_features(const module *self, int32_t input_count, const DLTensor *inputs, int32_t output_count,
                                         zoo_error *error) {
            if (input_count != 1 || output_count != 1 || !is_float_matrix(&inputs[0], self->fc.in) || inputs[0].shape[0] < 1)
                return fail(self->host, error, ZOO_ERROR_SHAPE, MODULE_NAME " expects one float32 input [B, in] with B >= 1");
            return ZOO_OK;
        }

        /* Refuses a backward without a training forward's state, or with other tensor counts. */
        static zoo_status check_backward(const module *self, const void *state, int32_t output_count, int32_t input_count,
                                         int32_t parameter_count, zoo_error *error) {
            if (!state) return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME ": backward without a training forward");
            if (output_count != 1 || input_count != 1 || parameter_count != 2)
                return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME ": wrong tensor counts in backward");
            return ZOO_OK;
        }

        /* The backward of y = W x + b over `rows` rows, given dy [rows, out]: overwrites dx = dy W
         * [rows, in], dW = dyᵀ x and db = Σ_r dy; a NULL buffer is a gradient the host does not need. */
        static void linear_backward(const linear *l, const float *x, const float *dy, int64_t rows, float *dx, float *dw, float *db) {
            if (dx)
                for (int64_t r = 0; r < rows; r++)
                    for (int64_t i = 0; i < l->in; i++) {
                        float total = 0;
                        for (int64_t o = 0; o < l->out; o++) total += dy[r * l->out + o] * l->weight[o * l->in + i];
                        dx[r * l->in + i] = total;
                    }
            if (dw)
                for (int64_t o = 0; o < l->out; o++)
                    for (int64_t i = 0; i < l->in; i++) {
                        float total = 0;
                        for (int64_t r = 0; r < rows; r++) total += dy[r * l->out + o] * x[r * l->in + i];
                        dw[o * l->in + i] = total;
                    }
            if (db)
                for (int64_t o = 0; o < l->out; o++) {
                    float total = 0;
                    for (int64_t r = 0; r < rows; r++) total += dy[r * l->out + o];
                    db[o] = total;
                }
        }

        static int32_t parameter_count(void *m) {
            (void)m;
            return 2;
        }

        static DLTensor float_tensor(float *data, int32_t ndim, int64_t *shape) {
            DLTensor t = {0};
            t.data = data;
            t.device.device_type = kDLCPU;
            t.ndim = ndim;
            t.dtype.code = kDLFloat;
            t.dtype.bits = 32;
            t.dtype.lanes = 1;
            t.shape = shape;
            return t;
        }

        /* The parameters by state_dict name; their data pointers stay fixed until destroy. */
        static zoo_status parameters(void *m, int32_t capacity, zoo_named_tensor *out, zoo_error *error) {
            module *self = m;
            if (capacity < 2) return fail(self->host, error, ZOO_ERROR_INVALID_ARGUMENT, MODULE_NAME " has 2 parameters");
            out[0] = (zoo_named_tensor){.name = "weight", .tensor = float_tensor(self->fc.weight, 2, self->fc.weight_shape)};
            out[1] = (zoo_named_tensor){.name = "bias", .tensor = float_tensor(self->fc.bias, 1, self->fc.bias_shape)};
            return ZOO_OK;
        }

        """#
    }

    private func descriptor(_ part: CRoleSource) -> String {
        """
        static const zoo_module_functions functions = {
            .struct_size = sizeof(zoo_module_functions), .abi_minor = ZOO_ABI_MINOR,
            .create = create, .destroy = destroy, .output_shapes = output_shapes, .forward = forward,
            .backward = backward, .release_state = release_state, .parameter_count = parameter_count,
            .parameters = parameters};

        /* The module: its role, how it changes the batch, and its configuration's JSON Schema, with
         * "x-zoo-from" on the keys the host fills and "examples" (complete configurations, with their
         * input shapes in "x-zoo-example-inputs") that `zoo plugin check` runs. */
        static const zoo_module_descriptor \(name.identifier)_descriptor = {
            .struct_size = sizeof(zoo_module_descriptor), .abi_minor = ZOO_ABI_MINOR,
            .kind = \(part.kind), .threading = ZOO_THREADING_REENTRANT, .input_count = \(part.inputCount), .output_count = 1,
            .batch_effect = \(part.batchEffect), .training_only = \(part.trainingOnly ? 1 : 0),
            .name = MODULE_NAME,
            .summary = \(Self.literal([part.summary])),
            .config_schema_json =
        \(Self.literal(part.schema, indent: 8)),
            .functions = &functions,
            .documentation =
        \(Self.literal(part.documentation, indent: 8))};

        static const zoo_module_descriptor *const modules[] = {&\(name.identifier)_descriptor};

        static const zoo_plugin_info info = {
            .struct_size = sizeof(zoo_plugin_info), .abi_major = ZOO_ABI_MAJOR, .abi_minor = ZOO_ABI_MINOR,
            .name = MODULE_NAME, .version = "0.1.0", .module_count = 1, .modules = modules};

        const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *host, zoo_error *error) {
            (void)host;
            (void)error;
            return &info;
        }

        """
    }

    /// Text as adjacent C string literals, one a line: quotes and backslashes escaped.
    static func literal(_ lines: [String], indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        return lines.map { line in
            pad + "\"" + line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: "\n")
    }
}
