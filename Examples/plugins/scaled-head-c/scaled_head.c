/*
 * scaled-head: a linear classification head with a fixed logit scale, written in plain C against
 * zoo_plugin.h with a hand-written backward. It is an example to copy: one module, its parameters,
 * its state, its errors, and the host's parallel_for.
 *
 *   logits = scale * (x · Wᵀ) + b        x [B, in], W [out, in], b [out] -> [B, out]
 *
 * Configuration: {"in_features": int >= 1, "out_features": int >= 1, "scale": number > 0 (default 1)}.
 * W starts from a uniform U(-1/sqrt(in), 1/sqrt(in)) drawn from the host's seed, b at zero.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoo_plugin.h"

typedef struct {
    const zoo_host_api *host;
    int64_t in, out;
    float scale;
    float *weight; /* [out, in] */
    float *bias;   /* [out] */
    int64_t weight_shape[2], bias_shape[1];
} head;

/* What forward keeps for backward: a copy of the input. */
typedef struct {
    int64_t rows;
    float *input; /* [rows, in] */
} head_state;

static zoo_status fail(const zoo_host_api *host, zoo_error *error, zoo_status status, const char *message) {
    host->set_error(error, status, message);
    return status;
}

/* A minimal reader for the flat JSON object the host passes (already validated, defaults filled). */
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

static uint64_t next_random(uint64_t *state) { /* SplitMix64 */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static zoo_status create(const zoo_host_api *host, const char *config_json, void **module, zoo_error *error) {
    double in = 0, out = 0, scale = 1;
    if (!read_number(config_json, "in_features", &in) || !read_number(config_json, "out_features", &out))
        return fail(host, error, ZOO_ERROR_INVALID_CONFIG, "scaled-head needs in_features and out_features");
    read_number(config_json, "scale", &scale);
    if (in < 1 || out < 1 || scale <= 0)
        return fail(host, error, ZOO_ERROR_INVALID_CONFIG, "scaled-head: in_features and out_features must be >= 1, scale > 0");
    head *h = calloc(1, sizeof *h);
    if (!h) return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, "scaled-head: out of memory");
    h->host = host;
    h->in = (int64_t)in;
    h->out = (int64_t)out;
    h->scale = (float)scale;
    h->weight = host->allocate(host->context, sizeof(float) * (size_t)(h->in * h->out));
    h->bias = host->allocate(host->context, sizeof(float) * (size_t)h->out);
    if (!h->weight || !h->bias) return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, "scaled-head: out of memory");
    uint64_t random = host->seed;
    float bound = 1.0f / sqrtf((float)h->in);
    for (int64_t i = 0; i < h->in * h->out; i++)
        h->weight[i] = bound * (2.0f * (float)(next_random(&random) >> 40) / 16777216.0f - 1.0f);
    memset(h->bias, 0, sizeof(float) * (size_t)h->out);
    h->weight_shape[0] = h->out;
    h->weight_shape[1] = h->in;
    h->bias_shape[0] = h->out;
    *module = h;
    return ZOO_OK;
}

static void destroy(void *module) {
    head *h = module;
    h->host->release(h->host->context, h->weight);
    h->host->release(h->host->context, h->bias);
    free(h);
}

static int is_matrix(const DLTensor *t, int64_t columns) {
    return t->ndim == 2 && t->dtype.code == kDLFloat && t->dtype.bits == 32 && t->strides == NULL && t->shape[1] == columns;
}

static zoo_status output_shapes(void *module, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                zoo_shape *outputs, zoo_error *error) {
    head *h = module;
    if (input_count != 1 || output_count != 1)
        return fail(h->host, error, ZOO_ERROR_INVALID_ARGUMENT, "scaled-head takes one input and gives one output");
    if (inputs[0].rank != 2 || inputs[0].dims[1] != h->in) {
        char message[160];
        snprintf(message, sizeof message, "scaled-head expects features [B, %lld], got rank %d with last extent %lld",
                 (long long)h->in, inputs[0].rank, inputs[0].rank > 0 ? (long long)inputs[0].dims[inputs[0].rank - 1] : 0LL);
        return fail(h->host, error, ZOO_ERROR_SHAPE, message);
    }
    outputs[0].rank = 2;
    outputs[0].dims[0] = inputs[0].dims[0];
    outputs[0].dims[1] = h->out;
    return ZOO_OK;
}

typedef struct {
    const head *h;
    const float *x;
    float *y;
} forward_job;

static void forward_rows(void *context, int64_t begin, int64_t end) {
    const forward_job *job = context;
    const head *h = job->h;
    for (int64_t r = begin; r < end; r++)
        for (int64_t o = 0; o < h->out; o++) {
            float total = 0;
            for (int64_t i = 0; i < h->in; i++) total += job->x[r * h->in + i] * h->weight[o * h->in + i];
            job->y[r * h->out + o] = h->scale * total + h->bias[o];
        }
}

static zoo_status forward(void *module, zoo_mode mode, int32_t input_count, const DLTensor *inputs,
                          int32_t output_count, DLTensor *outputs, void **state, zoo_error *error) {
    head *h = module;
    if (input_count != 1 || output_count != 1 || !is_matrix(&inputs[0], h->in))
        return fail(h->host, error, ZOO_ERROR_SHAPE, "scaled-head expects one float32 input [B, in_features]");
    int64_t rows = inputs[0].shape[0];
    forward_job job = {h, inputs[0].data, outputs[0].data};
    h->host->parallel_for(h->host->context, rows, forward_rows, &job);
    *state = NULL;
    if (mode == ZOO_MODE_TRAIN) {
        head_state *saved = malloc(sizeof *saved);
        if (!saved) return fail(h->host, error, ZOO_ERROR_OUT_OF_MEMORY, "scaled-head: out of memory");
        saved->rows = rows;
        saved->input = h->host->allocate(h->host->context, sizeof(float) * (size_t)(rows * h->in));
        memcpy(saved->input, inputs[0].data, sizeof(float) * (size_t)(rows * h->in));
        *state = saved;
    }
    return ZOO_OK;
}

static zoo_status backward(void *module, void *state, int32_t output_count, const DLTensor *output_gradients,
                           int32_t input_count, DLTensor *input_gradients, int32_t parameter_count,
                           DLTensor *parameter_gradients, zoo_error *error) {
    head *h = module;
    head_state *saved = state;
    if (!saved) return fail(h->host, error, ZOO_ERROR_INVALID_ARGUMENT, "scaled-head: backward without a training forward");
    if (output_count != 1 || input_count != 1 || parameter_count != 2)
        return fail(h->host, error, ZOO_ERROR_INVALID_ARGUMENT, "scaled-head: wrong tensor counts in backward");
    const float *g = output_gradients[0].data; /* [rows, out] */
    float *dx = input_gradients[0].data;       /* [rows, in], or NULL when not needed */
    float *dw = parameter_gradients[0].data, *db = parameter_gradients[1].data;
    if (dx) {
        for (int64_t r = 0; r < saved->rows; r++)
            for (int64_t i = 0; i < h->in; i++) {
                float total = 0;
                for (int64_t o = 0; o < h->out; o++) total += g[r * h->out + o] * h->weight[o * h->in + i];
                dx[r * h->in + i] = h->scale * total;
            }
    }
    if (dw) {
        for (int64_t o = 0; o < h->out; o++)
            for (int64_t i = 0; i < h->in; i++) {
                float total = 0;
                for (int64_t r = 0; r < saved->rows; r++) total += g[r * h->out + o] * saved->input[r * h->in + i];
                dw[o * h->in + i] = h->scale * total;
            }
    }
    if (db) {
        for (int64_t o = 0; o < h->out; o++) {
            float total = 0;
            for (int64_t r = 0; r < saved->rows; r++) total += g[r * h->out + o];
            db[o] = total;
        }
    }
    return ZOO_OK;
}

static void release_state(void *module, void *state) {
    head *h = module;
    head_state *saved = state;
    if (!saved) return;
    h->host->release(h->host->context, saved->input);
    free(saved);
}

static int32_t parameter_count(void *module) {
    (void)module;
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

static zoo_status parameters(void *module, int32_t capacity, zoo_named_tensor *out, zoo_error *error) {
    head *h = module;
    if (capacity < 2) return fail(h->host, error, ZOO_ERROR_INVALID_ARGUMENT, "scaled-head has 2 parameters");
    out[0] = (zoo_named_tensor){.name = "weight", .tensor = float_tensor(h->weight, 2, h->weight_shape)};
    out[1] = (zoo_named_tensor){.name = "bias", .tensor = float_tensor(h->bias, 1, h->bias_shape)};
    return ZOO_OK;
}

static const zoo_module_functions functions = {
    .struct_size = sizeof(zoo_module_functions), .abi_minor = ZOO_ABI_MINOR,
    .create = create, .destroy = destroy, .output_shapes = output_shapes, .forward = forward,
    .backward = backward, .release_state = release_state, .parameter_count = parameter_count,
    .parameters = parameters};

static const zoo_module_descriptor scaled_head = {
    .struct_size = sizeof(zoo_module_descriptor), .abi_minor = ZOO_ABI_MINOR,
    .kind = ZOO_KIND_HEAD, .threading = ZOO_THREADING_REENTRANT, .input_count = 1, .output_count = 1,
    .batch_effect = ZOO_BATCH_UNCHANGED, .training_only = 0,
    .name = "scaled-head",
    .summary = "linear classification head with a fixed logit scale (C example)",
    .config_schema_json =
        "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"in_features\", \"out_features\"],"
        " \"properties\": {"
        "\"in_features\": {\"type\": \"integer\", \"minimum\": 1, \"x-zoo-from\": \"input.features\"},"
        "\"out_features\": {\"type\": \"integer\", \"minimum\": 1, \"x-zoo-from\": \"data.num_classes\"},"
        "\"scale\": {\"type\": \"number\", \"exclusiveMinimum\": 0, \"default\": 1}},"
        /* What `zoo plugin check` runs with no flags; the input [4, 12] follows from in_features. */
        " \"examples\": [{\"in_features\": 12, \"out_features\": 5, \"scale\": 0.5}]}",
    .functions = &functions,
    .documentation = "logits = scale * (x W^T) + b. Input features [B, in_features], output logits "
                     "[B, out_features]; the batch and the labels are unchanged. Parameters: weight "
                     "[out_features, in_features], bias [out_features]."};

static const zoo_module_descriptor *const modules[] = {&scaled_head};

static const zoo_plugin_info info = {
    .struct_size = sizeof(zoo_plugin_info), .abi_major = ZOO_ABI_MAJOR, .abi_minor = ZOO_ABI_MINOR,
    .name = "scaled-head-c", .version = "1.0.0", .module_count = 1, .modules = modules};

const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *host, zoo_error *error) {
    (void)host;
    (void)error;
    return &info;
}
