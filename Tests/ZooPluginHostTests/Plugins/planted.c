/*
 * A test plug-in for the conformance check: one module "residual-linear" whose backward is right
 * unless a planted bug is switched on. The check (`zoo plugin check`) must pass it as written and
 * fail it with each bug.
 *
 *   y = x + x · Wᵀ + b        x [B, dim], W [dim, dim], b [dim] -> [B, dim]
 *
 *   cc -shared -fPIC -I Sources/CZooPlugin/include [-DBUG] -o libNAME.so planted.c
 *
 * Bugs (at most one):
 *   SCALED_WEIGHT_GRADIENT       dW is 1.01 times the right one: a gradient 1% off
 *   DROPPED_RESIDUAL             dx = dy · W, without the residual's dy
 *   TRANSPOSED_WEIGHT_GRADIENT   dW = xᵀ · dy instead of dyᵀ · x (the shape is right: W is square)
 *   BIAS_GRADIENT_OF_LAST_ROW    db = the last row of dy instead of the sum over the batch
 *
 * NO_EXAMPLE leaves the schema without its example configuration: the required dim then has no value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoo_plugin.h"

typedef struct {
    const zoo_host_api *host;
    int64_t dim;
    float *weight; /* [dim, dim] */
    float *bias;   /* [dim] */
    int64_t weight_shape[2], bias_shape[1];
} residual;

typedef struct {
    int64_t rows;
    float *input; /* [rows, dim] */
} saved_input;

static zoo_status fail(const zoo_host_api *host, zoo_error *error, zoo_status status, const char *message) {
    host->set_error(error, status, message);
    return status;
}

static zoo_status create(const zoo_host_api *host, const char *config_json, void **module, zoo_error *error) {
    const char *at = strstr(config_json, "\"dim\"");
    long dim = at && (at = strchr(at, ':')) ? strtol(at + 1, NULL, 10) : 0;
    if (dim < 1) return fail(host, error, ZOO_ERROR_INVALID_CONFIG, "residual-linear needs dim >= 1");
    residual *m = calloc(1, sizeof *m);
    if (!m) return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, "residual-linear: out of memory");
    m->host = host;
    m->dim = dim;
    m->weight = malloc(sizeof(float) * (size_t)(dim * dim));
    m->bias = malloc(sizeof(float) * (size_t)dim);
    if (!m->weight || !m->bias) return fail(host, error, ZOO_ERROR_OUT_OF_MEMORY, "residual-linear: out of memory");
    /* Fixed, varied values: sin of the index, so that no two entries (nor W and Wᵀ) agree. */
    for (int64_t i = 0; i < dim * dim; i++) m->weight[i] = 0.5f * sinf(1.7f * (float)i + 0.3f);
    for (int64_t i = 0; i < dim; i++) m->bias[i] = 0.1f * cosf((float)i);
    m->weight_shape[0] = m->weight_shape[1] = dim;
    m->bias_shape[0] = dim;
    *module = m;
    return ZOO_OK;
}

static void destroy(void *module) {
    residual *m = module;
    free(m->weight);
    free(m->bias);
    free(m);
}

static zoo_status output_shapes(void *module, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                zoo_shape *outputs, zoo_error *error) {
    residual *m = module;
    if (input_count != 1 || output_count != 1)
        return fail(m->host, error, ZOO_ERROR_INVALID_ARGUMENT, "residual-linear takes one input and gives one output");
    if (inputs[0].rank != 2 || inputs[0].dims[1] != m->dim)
        return fail(m->host, error, ZOO_ERROR_SHAPE, "residual-linear expects [B, dim]");
    outputs[0] = inputs[0];
    return ZOO_OK;
}

static zoo_status forward(void *module, zoo_mode mode, int32_t input_count, const DLTensor *inputs,
                          int32_t output_count, DLTensor *outputs, void **state, zoo_error *error) {
    residual *m = module;
    const DLTensor *in = &inputs[0];
    if (input_count != 1 || output_count != 1 || in->ndim != 2 || in->shape[1] != m->dim || in->strides != NULL)
        return fail(m->host, error, ZOO_ERROR_SHAPE, "residual-linear expects one contiguous input [B, dim]");
    int64_t rows = in->shape[0], d = m->dim;
    const float *x = in->data;
    float *y = outputs[0].data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t o = 0; o < d; o++) {
            float total = x[r * d + o] + m->bias[o];
            for (int64_t i = 0; i < d; i++) total += x[r * d + i] * m->weight[o * d + i];
            y[r * d + o] = total;
        }
    *state = NULL;
    if (mode == ZOO_MODE_TRAIN) {
        saved_input *saved = malloc(sizeof *saved);
        if (!saved || !(saved->input = malloc(sizeof(float) * (size_t)(rows * d)))) {
            free(saved);
            return fail(m->host, error, ZOO_ERROR_OUT_OF_MEMORY, "residual-linear: out of memory");
        }
        saved->rows = rows;
        memcpy(saved->input, x, sizeof(float) * (size_t)(rows * d));
        *state = saved;
    }
    return ZOO_OK;
}

static zoo_status backward(void *module, void *state, int32_t output_count, const DLTensor *output_gradients,
                           int32_t input_count, DLTensor *input_gradients, int32_t parameter_count,
                           DLTensor *parameter_gradients, zoo_error *error) {
    residual *m = module;
    saved_input *saved = state;
    if (!saved || output_count != 1 || input_count != 1 || parameter_count != 2)
        return fail(m->host, error, ZOO_ERROR_INVALID_ARGUMENT, "residual-linear: backward without a training forward");
    int64_t rows = saved->rows, d = m->dim;
    const float *g = output_gradients[0].data, *x = saved->input;
    float *dx = input_gradients[0].data, *dw = parameter_gradients[0].data, *db = parameter_gradients[1].data;
    if (dx)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < d; i++) {
#ifdef DROPPED_RESIDUAL
                float total = 0;
#else
                float total = g[r * d + i];
#endif
                for (int64_t o = 0; o < d; o++) total += g[r * d + o] * m->weight[o * d + i];
                dx[r * d + i] = total;
            }
    if (dw)
        for (int64_t o = 0; o < d; o++)
            for (int64_t i = 0; i < d; i++) {
                float total = 0;
#ifdef TRANSPOSED_WEIGHT_GRADIENT
                for (int64_t r = 0; r < rows; r++) total += g[r * d + i] * x[r * d + o];
#else
                for (int64_t r = 0; r < rows; r++) total += g[r * d + o] * x[r * d + i];
#endif
#ifdef SCALED_WEIGHT_GRADIENT
                total *= 1.01f;
#endif
                dw[o * d + i] = total;
            }
    if (db)
        for (int64_t o = 0; o < d; o++) {
            float total = 0;
#ifdef BIAS_GRADIENT_OF_LAST_ROW
            total = g[(rows - 1) * d + o];
#else
            for (int64_t r = 0; r < rows; r++) total += g[r * d + o];
#endif
            db[o] = total;
        }
    return ZOO_OK;
}

static void release_state(void *module, void *state) {
    (void)module;
    saved_input *saved = state;
    if (!saved) return;
    free(saved->input);
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
    residual *m = module;
    if (capacity < 2) return fail(m->host, error, ZOO_ERROR_INVALID_ARGUMENT, "residual-linear has 2 parameters");
    out[0] = (zoo_named_tensor){.name = "weight", .tensor = float_tensor(m->weight, 2, m->weight_shape)};
    out[1] = (zoo_named_tensor){.name = "bias", .tensor = float_tensor(m->bias, 1, m->bias_shape)};
    return ZOO_OK;
}

static const zoo_module_functions functions = {
    .struct_size = sizeof(zoo_module_functions), .abi_minor = ZOO_ABI_MINOR,
    .create = create, .destroy = destroy, .output_shapes = output_shapes, .forward = forward,
    .backward = backward, .release_state = release_state, .parameter_count = parameter_count,
    .parameters = parameters};

static const zoo_module_descriptor module_descriptor = {
    .struct_size = sizeof(zoo_module_descriptor), .abi_minor = ZOO_ABI_MINOR,
    .kind = ZOO_KIND_BACKBONE, .threading = ZOO_THREADING_REENTRANT, .input_count = 1, .output_count = 1,
    .batch_effect = ZOO_BATCH_UNCHANGED, .training_only = 0,
    .name = "residual-linear",
    .summary = "y = x + x W^T + b, with planted backward bugs for the conformance check's tests",
    .config_schema_json =
        "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"dim\"],"
        " \"properties\": {\"dim\": {\"type\": \"integer\", \"minimum\": 1, \"x-zoo-from\": \"input.features\"}}"
#ifndef NO_EXAMPLE
        ", \"examples\": [{\"dim\": 6}]"
#endif
        "}",
    .functions = &functions,
    .documentation = "A test module."};

static const zoo_module_descriptor *const modules[] = {&module_descriptor};

static const zoo_plugin_info info = {
    .struct_size = sizeof(zoo_plugin_info), .abi_major = ZOO_ABI_MAJOR, .abi_minor = ZOO_ABI_MINOR,
    .name = "planted", .version = "1.0.0", .module_count = 1, .modules = modules};

const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *host, zoo_error *error) {
    (void)host;
    (void)error;
    return &info;
}
