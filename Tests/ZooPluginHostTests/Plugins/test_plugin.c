/*
 * A test plug-in for the host's loader and adapter tests, compiled at test time (TestPlugins.swift):
 *
 *   cc -shared -fPIC -I Sources/CZooPlugin/include [-DSWITCH ...] -o libNAME.so test_plugin.c
 *
 * By default it is a complete, well-behaved plug-in "test-double" with one module "double":
 * y = factor * x (factor from the configuration, 2 by default), backward dx = factor * dy, no
 * parameters. A training forward saves a state allocated with host->allocate; forward and backward
 * run through host->parallel_for; create logs one info line. Counters of live modules and states
 * are exported for leak checks (test_plugin_live_modules, test_plugin_live_states).
 *
 * Switches:
 *   NAME="..."            the plug-in name (default "test-double")
 *   MODULE_NAME="..."     the module name (default "double")
 *   WRONG_MAJOR           zoo_plugin_info.abi_major = 2
 *   NEWER_MINOR           zoo_plugin_info.abi_minor = ZOO_ABI_MINOR + 1
 *   ABI_1_0               built as for ABI 1.0: descriptor struct_size stops before documentation,
 *                         abi_minor 0 everywhere (documentation still holds a string the host must
 *                         not read)
 *   NO_ENTRY              exports no zoo_plugin_entry_v1
 *   ENTRY_V2              exports the entry as zoo_plugin_entry_v2 instead
 *   ENTRY_FAILS           the entry point sets an error and returns NULL
 *   ZERO_INPUTS           input_count = 0
 *   NULL_BACKWARD         functions.backward = NULL
 *   SCHEMA_NOT_OBJECT     config_schema_json is "[1, 2]"
 *   DUPLICATE_MODULE      lists the module twice
 *   WITH_TRIPLE           adds a second module "triple" (factor 3 by default)
 *   WRONG_BACKWARD        backward gives dx = (factor + 1) * dy (for the conformance check)
 *   MARKER_FILE="path"    a constructor writes that file when the library is loaded
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoo_plugin.h"

#ifndef NAME
#define NAME "test-double"
#endif

#ifdef MARKER_FILE
/* Shows whether the host ran any of the library's code. */
__attribute__((constructor)) static void write_marker(void) {
    FILE *file = fopen(MARKER_FILE, "w");
    if (file) {
        fputs("the constructor ran\n", file);
        fclose(file);
    }
}
#endif
#ifndef MODULE_NAME
#define MODULE_NAME "double"
#endif

#ifdef ABI_1_0
#define BUILT_MINOR 0
#define DESCRIPTOR_SIZE offsetof(zoo_module_descriptor, documentation)
#else
#define BUILT_MINOR ZOO_ABI_MINOR
#define DESCRIPTOR_SIZE sizeof(zoo_module_descriptor)
#endif

static const zoo_host_api *host;
static int64_t live_modules;
static int64_t live_states;

int64_t test_plugin_live_modules(void) { return __atomic_load_n(&live_modules, __ATOMIC_SEQ_CST); }
int64_t test_plugin_live_states(void) { return __atomic_load_n(&live_states, __ATOMIC_SEQ_CST); }
/* The seed the host passed, read at create. */
static uint64_t seen_seed;
uint64_t test_plugin_seen_seed(void) { return seen_seed; }

typedef struct scale_module {
    float factor;
} scale_module;

typedef struct scale_state {
    int64_t element_count;
} scale_state;

/* Finds "factor": <number> in the configuration JSON (enough for a test plug-in). */
static int read_factor(const char *config, double fallback, double *factor) {
    const char *key = strstr(config, "\"factor\"");
    if (key == NULL) {
        *factor = fallback;
        return 1;
    }
    const char *colon = strchr(key + 8, ':');
    if (colon == NULL) return 0;
    char *end = NULL;
    *factor = strtod(colon + 1, &end);
    return end != colon + 1;
}

static zoo_status create_with(const zoo_host_api *api, const char *config_json, double fallback, void **module,
                              zoo_error *error) {
    if (api == NULL || config_json == NULL || module == NULL) {
        if (api != NULL) api->set_error(error, ZOO_ERROR_INVALID_ARGUMENT, "create: a NULL argument");
        return ZOO_ERROR_INVALID_ARGUMENT;
    }
    double factor = 0;
    if (!read_factor(config_json, fallback, &factor)) {
        api->set_error(error, ZOO_ERROR_INVALID_CONFIG, "factor: expected a number");
        return ZOO_ERROR_INVALID_CONFIG;
    }
    if (factor == 0) {
        api->set_error(error, ZOO_ERROR_INVALID_CONFIG, "factor must not be 0, found 0");
        return ZOO_ERROR_INVALID_CONFIG;
    }
    scale_module *created = malloc(sizeof(scale_module));
    if (created == NULL) {
        api->set_error(error, ZOO_ERROR_OUT_OF_MEMORY, "create: out of memory");
        return ZOO_ERROR_OUT_OF_MEMORY;
    }
    created->factor = (float)factor;
    seen_seed = api->seed;
    char line[96];
    snprintf(line, sizeof line, "created " MODULE_NAME " with factor %g", factor);
    api->log(api->context, ZOO_LOG_INFO, line);
    __atomic_add_fetch(&live_modules, 1, __ATOMIC_SEQ_CST);
    *module = created;
    return ZOO_OK;
}

static zoo_status double_create(const zoo_host_api *api, const char *config_json, void **module, zoo_error *error) {
    return create_with(api, config_json, 2.0, module, error);
}

#ifdef WITH_TRIPLE
static zoo_status triple_create(const zoo_host_api *api, const char *config_json, void **module, zoo_error *error) {
    return create_with(api, config_json, 3.0, module, error);
}
#endif

static void scale_destroy(void *module) {
    if (module == NULL) return;
    free(module);
    __atomic_sub_fetch(&live_modules, 1, __ATOMIC_SEQ_CST);
}

static zoo_status scale_output_shapes(void *module, int32_t input_count, const zoo_shape *inputs, int32_t output_count,
                                      zoo_shape *outputs, zoo_error *error) {
    (void)module;
    if (input_count != 1 || output_count != 1) {
        host->set_error(error, ZOO_ERROR_INVALID_ARGUMENT, "expected 1 input and 1 output");
        return ZOO_ERROR_INVALID_ARGUMENT;
    }
    outputs[0] = inputs[0];
    return ZOO_OK;
}

static int64_t element_count(const DLTensor *tensor) {
    int64_t count = 1;
    for (int32_t axis = 0; axis < tensor->ndim; axis++) count *= tensor->shape[axis];
    return count;
}

static int is_float32(const DLTensor *tensor) {
    return tensor->dtype.code == kDLFloat && tensor->dtype.bits == 32 && tensor->dtype.lanes == 1;
}

typedef struct scale_job {
    const float *source;
    float *target;
    float factor;
} scale_job;

static void scale_range(void *context, int64_t begin, int64_t end) {
    const scale_job *job = context;
    for (int64_t i = begin; i < end; i++) job->target[i] = job->factor * job->source[i];
}

static zoo_status scale_forward(void *module, zoo_mode mode, int32_t input_count, const DLTensor *inputs,
                                int32_t output_count, DLTensor *outputs, void **state, zoo_error *error) {
    const scale_module *self = module;
    if (input_count != 1 || output_count != 1) {
        host->set_error(error, ZOO_ERROR_INVALID_ARGUMENT, "expected 1 input and 1 output");
        return ZOO_ERROR_INVALID_ARGUMENT;
    }
    if (!is_float32(&inputs[0]) || !is_float32(&outputs[0])) {
        host->set_error(error, ZOO_ERROR_UNSUPPORTED, "expected float32 tensors");
        return ZOO_ERROR_UNSUPPORTED;
    }
    int64_t count = element_count(&inputs[0]);
    if (element_count(&outputs[0]) != count) {
        host->set_error(error, ZOO_ERROR_SHAPE, "output has a different element count than the input");
        return ZOO_ERROR_SHAPE;
    }
    scale_job job = {inputs[0].data, outputs[0].data, self->factor};
    host->parallel_for(host->context, count, scale_range, &job);
    if (state != NULL) *state = NULL;
    if (mode == ZOO_MODE_TRAIN && state != NULL) {
        scale_state *saved = host->allocate(host->context, sizeof(scale_state));
        if (saved == NULL) {
            host->set_error(error, ZOO_ERROR_OUT_OF_MEMORY, "forward: out of memory");
            return ZOO_ERROR_OUT_OF_MEMORY;
        }
        saved->element_count = count;
        __atomic_add_fetch(&live_states, 1, __ATOMIC_SEQ_CST);
        *state = saved;
    }
    return ZOO_OK;
}

__attribute__((unused)) static zoo_status scale_backward(void *module, void *state, int32_t output_count, const DLTensor *output_gradients,
                                 int32_t input_count, DLTensor *input_gradients, int32_t parameter_count,
                                 DLTensor *parameter_gradients, zoo_error *error) {
    const scale_module *self = module;
    const scale_state *saved = state;
    (void)parameter_gradients;
    if (saved == NULL) {
        host->set_error(error, ZOO_ERROR_INVALID_ARGUMENT, "backward without a training forward's state");
        return ZOO_ERROR_INVALID_ARGUMENT;
    }
    if (output_count != 1 || input_count != 1 || parameter_count != 0) {
        host->set_error(error, ZOO_ERROR_INVALID_ARGUMENT, "expected 1 output gradient, 1 input gradient, 0 parameters");
        return ZOO_ERROR_INVALID_ARGUMENT;
    }
    if (element_count(&output_gradients[0]) != saved->element_count) {
        host->set_error(error, ZOO_ERROR_SHAPE, "output gradient does not match the forward's output");
        return ZOO_ERROR_SHAPE;
    }
    if (input_gradients[0].data != NULL) {
#ifdef WRONG_BACKWARD
        scale_job job = {output_gradients[0].data, input_gradients[0].data, self->factor + 1};
#else
        scale_job job = {output_gradients[0].data, input_gradients[0].data, self->factor};
#endif
        host->parallel_for(host->context, saved->element_count, scale_range, &job);
    }
    return ZOO_OK;
}

static void scale_release_state(void *module, void *state) {
    (void)module;
    if (state == NULL) return;
    host->release(host->context, state);
    __atomic_sub_fetch(&live_states, 1, __ATOMIC_SEQ_CST);
}

static int32_t scale_parameter_count(void *module) {
    (void)module;
    return 0;
}

static zoo_status scale_parameters(void *module, int32_t capacity, zoo_named_tensor *parameters, zoo_error *error) {
    (void)module;
    (void)capacity;
    (void)parameters;
    (void)error;
    return ZOO_OK;
}

static const zoo_module_functions double_functions = {
    .struct_size = sizeof(zoo_module_functions),
    .abi_minor = BUILT_MINOR,
    .create = double_create,
    .destroy = scale_destroy,
    .output_shapes = scale_output_shapes,
    .forward = scale_forward,
#ifdef NULL_BACKWARD
    .backward = NULL,
#else
    .backward = scale_backward,
#endif
    .release_state = scale_release_state,
    .parameter_count = scale_parameter_count,
    .parameters = scale_parameters,
};

#ifdef SCHEMA_NOT_OBJECT
#define DOUBLE_SCHEMA "[1, 2]"
#else
#define DOUBLE_SCHEMA \
    "{\"type\": \"object\", \"additionalProperties\": false, " \
    "\"properties\": {\"factor\": {\"type\": \"number\", \"default\": 2.0, \"description\": \"the multiplier\"}}}"
#endif

static const zoo_module_descriptor double_descriptor = {
    .struct_size = DESCRIPTOR_SIZE,
    .abi_minor = BUILT_MINOR,
    .kind = ZOO_KIND_HEAD,
    .threading = ZOO_THREADING_REENTRANT,
#ifdef ZERO_INPUTS
    .input_count = 0,
#else
    .input_count = 1,
#endif
    .output_count = 1,
    .batch_effect = ZOO_BATCH_UNCHANGED,
    .training_only = 0,
    .name = MODULE_NAME,
    .summary = "multiplies its input by a constant factor",
    .config_schema_json = DOUBLE_SCHEMA,
    .functions = &double_functions,
#ifdef ABI_1_0
    .documentation = "NOT PART OF A 1.0 DESCRIPTOR",
#else
    .documentation = "y = factor * x element-wise (factor 2 by default); dx = factor * dy. No parameters.",
#endif
};

#ifdef WITH_TRIPLE
static const zoo_module_functions triple_functions = {
    .struct_size = sizeof(zoo_module_functions),
    .abi_minor = BUILT_MINOR,
    .create = triple_create,
    .destroy = scale_destroy,
    .output_shapes = scale_output_shapes,
    .forward = scale_forward,
    .backward = scale_backward,
    .release_state = scale_release_state,
    .parameter_count = scale_parameter_count,
    .parameters = scale_parameters,
};

static const zoo_module_descriptor triple_descriptor = {
    .struct_size = DESCRIPTOR_SIZE,
    .abi_minor = BUILT_MINOR,
    .kind = 42, /* a kind this host does not know */
    .threading = ZOO_THREADING_SERIALISED,
    .input_count = 1,
    .output_count = 1,
    .batch_effect = ZOO_BATCH_TWO_STREAM,
    .training_only = 1,
    .name = "triple",
    .summary = "multiplies its input by three",
    .config_schema_json = "{\"type\": \"object\", \"properties\": {\"factor\": {\"type\": \"number\", \"default\": 3}}}",
    .functions = &triple_functions,
    .documentation = NULL,
};
#endif

static const zoo_module_descriptor *const modules[] = {
    &double_descriptor,
#ifdef DUPLICATE_MODULE
    &double_descriptor,
#endif
#ifdef WITH_TRIPLE
    &triple_descriptor,
#endif
};

__attribute__((unused)) static const zoo_plugin_info info = {
    .struct_size = sizeof(zoo_plugin_info),
#ifdef WRONG_MAJOR
    .abi_major = 2,
#else
    .abi_major = ZOO_ABI_MAJOR,
#endif
#ifdef NEWER_MINOR
    .abi_minor = ZOO_ABI_MINOR + 1,
#else
    .abi_minor = BUILT_MINOR,
#endif
    .name = NAME,
    .version = "1.0.0",
    .module_count = sizeof(modules) / sizeof(modules[0]),
    .modules = modules,
};

static const zoo_plugin_info *entry(const zoo_host_api *api, zoo_error *error) {
    host = api;
#ifdef ENTRY_FAILS
    api->set_error(error, ZOO_ERROR_INTERNAL, "the test plug-in was built to fail");
    return NULL;
#else
    (void)error;
    return &info;
#endif
}

#if defined(NO_ENTRY)
const zoo_plugin_info *zoo_plugin_entry(const zoo_host_api *api, zoo_error *error) { return entry(api, error); }
#elif defined(ENTRY_V2)
const zoo_plugin_info *zoo_plugin_entry_v2(const zoo_host_api *api, zoo_error *error) { return entry(api, error); }
#else
const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *api, zoo_error *error) { return entry(api, error); }
#endif
