/*
 * A third-party-style head plug-in for the binding-contract tests: a linear classifier whose
 * feature width key is named WIDTH_KEY ("width" unless defined) and whose class count key is
 * CLASSES_KEY ("num_classes"). Switches (-D...):
 *   BIND_WIDTH    the width key declares "x-zoo-from": "input.features"
 *   BIND_CLASSES  the class key declares "x-zoo-from": "data.num_classes"
 *   MINOR=N       the descriptor's abi_minor (ZOO_ABI_MINOR unless defined): 2 is a plug-in built
 *                 for ABI 1.2, which declares nothing and gets the host's rule of names
 *
 *   logits = x Wᵀ + b      x [B, width], W [classes, width], b [classes]
 */
#include <stdlib.h>
#include <string.h>

#include "zoo_plugin.h"

#ifndef WIDTH_KEY
#define WIDTH_KEY "width"
#endif
#ifndef CLASSES_KEY
#define CLASSES_KEY "num_classes"
#endif
#ifndef MINOR
#define MINOR ZOO_ABI_MINOR
#endif
#ifdef BIND_WIDTH
#define WIDTH_FROM ", \"x-zoo-from\": \"input.features\""
#else
#define WIDTH_FROM ""
#endif
#ifdef BIND_CLASSES
#define CLASSES_FROM ", \"x-zoo-from\": \"data.num_classes\""
#else
#define CLASSES_FROM ""
#endif

typedef struct {
    const zoo_host_api *host;
    int64_t width, classes;
    int64_t weight_shape[2], bias_shape[1];
    float *weight, *bias;
} linear_head;

/* The integer after "key": in the host's compact JSON (validated, so the key is there). */
static long long integer_of(const char *json, const char *key) {
    const char *at = strstr(json, key);
    if (!at) return -1;
    at = strchr(at, ':');
    return at ? strtoll(at + 1, NULL, 10) : -1;
}

static zoo_status create(const zoo_host_api *host, const char *config, void **out, zoo_error *error) {
    long long width = integer_of(config, "\"" WIDTH_KEY "\""), classes = integer_of(config, "\"" CLASSES_KEY "\"");
    if (width < 1 || classes < 1) {
        host->set_error(error, ZOO_ERROR_INVALID_CONFIG, "width-head: " WIDTH_KEY " and " CLASSES_KEY " must be >= 1");
        return ZOO_ERROR_INVALID_CONFIG;
    }
    linear_head *h = calloc(1, sizeof *h);
    h->host = host;
    h->width = width;
    h->classes = classes;
    h->weight_shape[0] = classes;
    h->weight_shape[1] = width;
    h->bias_shape[0] = classes;
    h->weight = host->allocate(host->context, sizeof(float) * (size_t)(width * classes));
    h->bias = host->allocate(host->context, sizeof(float) * (size_t)classes);
    uint64_t state = host->seed | 1;
    for (long long i = 0; i < width * classes; i++) { /* xorshift64, uniform in [-0.1, 0.1) */
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        h->weight[i] = 0.2f * (float)(state >> 40) / 16777216.0f - 0.1f;
    }
    memset(h->bias, 0, sizeof(float) * (size_t)classes);
    *out = h;
    return ZOO_OK;
}

static void destroy(void *module) {
    linear_head *h = module;
    h->host->release(h->host->context, h->weight);
    h->host->release(h->host->context, h->bias);
    free(h);
}

static zoo_status output_shapes(void *module, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                zoo_shape *outputs, zoo_error *error) {
    linear_head *h = module;
    if (input_count != 1 || output_count != 1 || inputs[0].rank != 2 || inputs[0].dims[1] != h->width) {
        h->host->set_error(error, ZOO_ERROR_SHAPE, "width-head: expected features [B, " WIDTH_KEY "]");
        return ZOO_ERROR_SHAPE;
    }
    outputs[0] = (zoo_shape){.rank = 2, .dims = {inputs[0].dims[0], h->classes}};
    return ZOO_OK;
}

/* What backward needs: the input's rows, which the host keeps alive until the state is released. */
typedef struct {
    const float *x;
    int64_t rows;
} saved_input;

/* In training the state points at the input instead of copying it. */
static zoo_status forward(void *module, zoo_mode mode, int32_t input_count, const DLTensor *inputs,
                          int32_t output_count, DLTensor *outputs, void **state, zoo_error *error) {
    linear_head *h = module;
    (void)input_count, (void)output_count, (void)error;
    const float *x = inputs[0].data;
    float *y = outputs[0].data;
    for (int64_t r = 0; r < inputs[0].shape[0]; r++)
        for (int64_t c = 0; c < h->classes; c++) {
            float sum = h->bias[c];
            for (int64_t k = 0; k < h->width; k++) sum += x[r * h->width + k] * h->weight[c * h->width + k];
            y[r * h->classes + c] = sum;
        }
    *state = NULL;
    if (mode == ZOO_MODE_TRAIN) {
        saved_input *saved = malloc(sizeof *saved);
        *saved = (saved_input){x, inputs[0].shape[0]};
        *state = saved;
    }
    return ZOO_OK;
}

static zoo_status backward(void *module, void *state, int32_t output_count, const DLTensor *output_gradients,
                           int32_t input_count, DLTensor *input_gradients, int32_t parameter_count,
                           DLTensor *parameter_gradients, zoo_error *error) {
    linear_head *h = module;
    (void)output_count, (void)input_count, (void)parameter_count, (void)error;
    const saved_input *saved = state;
    const float *x = saved->x, *g = output_gradients[0].data;
    float *dx = input_gradients[0].data, *dw = parameter_gradients[0].data, *db = parameter_gradients[1].data;
    int64_t rows = saved->rows;
    if (dw) memset(dw, 0, sizeof(float) * (size_t)(h->classes * h->width));
    if (db) memset(db, 0, sizeof(float) * (size_t)h->classes);
    if (dx) memset(dx, 0, sizeof(float) * (size_t)(rows * h->width));
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < h->classes; c++) {
            float gradient = g[r * h->classes + c];
            if (db) db[c] += gradient;
            for (int64_t k = 0; k < h->width; k++) {
                if (dw) dw[c * h->width + k] += gradient * x[r * h->width + k];
                if (dx) dx[r * h->width + k] += gradient * h->weight[c * h->width + k];
            }
        }
    return ZOO_OK;
}

static void release_state(void *module, void *state) { (void)module, free(state); }

static int32_t parameter_count(void *module) { (void)module; return 2; }

static zoo_status parameters(void *module, int32_t capacity, zoo_named_tensor *out, zoo_error *error) {
    linear_head *h = module;
    (void)capacity, (void)error;
    DLTensor weight = {.data = h->weight, .device = {kDLCPU, 0}, .ndim = 2, .dtype = {kDLFloat, 32, 1}, .shape = h->weight_shape};
    DLTensor bias = {.data = h->bias, .device = {kDLCPU, 0}, .ndim = 1, .dtype = {kDLFloat, 32, 1}, .shape = h->bias_shape};
    out[0] = (zoo_named_tensor){.name = "weight", .tensor = weight};
    out[1] = (zoo_named_tensor){.name = "bias", .tensor = bias};
    return ZOO_OK;
}

static const zoo_module_functions functions = {
    .struct_size = sizeof(zoo_module_functions), .abi_minor = MINOR,
    .create = create, .destroy = destroy, .output_shapes = output_shapes, .forward = forward, .backward = backward,
    .release_state = release_state, .parameter_count = parameter_count, .parameters = parameters};

static const zoo_module_descriptor head = {
    .struct_size = sizeof(zoo_module_descriptor), .abi_minor = MINOR,
    .kind = ZOO_KIND_HEAD, .threading = ZOO_THREADING_SERIALISED, .input_count = 1, .output_count = 1,
    .name = "width-head", .summary = "a linear head whose width key is " WIDTH_KEY,
    .config_schema_json = "{\"type\": \"object\", \"additionalProperties\": false,"
                          " \"required\": [\"" WIDTH_KEY "\", \"" CLASSES_KEY "\"], \"properties\": {"
                          "\"" WIDTH_KEY "\": {\"type\": \"integer\", \"minimum\": 1" WIDTH_FROM "},"
                          "\"" CLASSES_KEY "\": {\"type\": \"integer\", \"minimum\": 1" CLASSES_FROM "}}}",
    .functions = &functions};

static const zoo_module_descriptor *const modules[] = {&head};

static const zoo_plugin_info info = {
    .struct_size = sizeof(zoo_plugin_info), .abi_major = ZOO_ABI_MAJOR, .abi_minor = MINOR,
    .name = "width-head", .version = "1.0.0", .module_count = 1, .modules = modules};

const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *host, zoo_error *error) {
    (void)host, (void)error;
    return &info;
}
