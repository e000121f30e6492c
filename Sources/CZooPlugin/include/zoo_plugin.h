/*
 * zoo_plugin.h — the Zoo plug-in ABI, version 1.3.
 *
 * The only contract between the Zoo host and its plug-ins (backbones, heads, losses, batch-relation
 * modules). A plug-in is a shared library written in any language with a C ABI; nothing but the
 * types below crosses: tensors as DLPack `DLTensor`, configuration as UTF-8 JSON text, errors as a
 * status code plus a message written into a host-owned `zoo_error`, functions as C function
 * pointers in versioned tables. No exception, unwinding or language object may cross.
 *
 * HISTORY
 *   1.0  the initial contract.
 *   1.1  zoo_module_descriptor.documentation.
 *   1.2  zoo_host_api.next_seed.
 *   1.3  the binding contract: configuration keys the host fills are declared in the schema
 *        ("x-zoo-from"); no struct changed.
 *
 * VERSIONING
 *   ZOO_ABI_MAJOR changes only when a change breaks old plug-ins; the entry symbol carries it in
 *   its name (zoo_plugin_entry_v1). ZOO_ABI_MINOR grows when fields are added at the END of a
 *   struct. Every versioned struct starts with `struct_size` (its sizeof as its author compiled it)
 *   and `abi_minor` (the minor version its author compiled against). A reader uses a field only
 *   when `struct_size` covers it (ZOO_HAS_FIELD). The host refuses a plug-in whose major differs
 *   or whose required minor is newer than the host's; a plug-in built against 1.x loads in any
 *   host speaking 1.y with y >= x.
 *
 * CALL SEQUENCE
 *   1. The host opens the library and looks up `zoo_plugin_entry_v1`.
 *   2. It calls entry(host, error) with its `zoo_host_api`. The plug-in returns a pointer to a
 *      `zoo_plugin_info` that stays valid, unchanged, until the library is unloaded (usually
 *      static data), or NULL after setting `error`.
 *   3. For each module the host wants: functions->create(host, config_json, &module, error).
 *      `config_json` is the module's configuration, already validated against its schema, with
 *      defaults filled in; it is valid only during the call.
 *   4. functions->output_shapes(...) answers what a forward would produce for given input shapes.
 *   5. functions->forward(module, mode, inputs, outputs, &state, error): the host allocates the
 *      outputs with the shapes from step 4; the plug-in fills them. `state` is whatever the plug-in
 *      needs for backward (NULL in ZOO_MODE_EVAL or when nothing is saved).
 *   6. functions->backward(module, state, output gradients, input gradients, parameter gradients,
 *      error) — at most once per state; writes (overwrites) every gradient buffer whose `data` is
 *      not NULL. Then the host calls functions->release_state(module, state); a state that is
 *      never back-propagated is released as well.
 *   7. functions->destroy(module) frees everything the module owns.
 *
 * CONFIGURATION AND THE BINDING CONTRACT (1.3)
 *   `config_schema_json` is a JSON Schema object (the subset the host validates: type, properties,
 *   required, additionalProperties, enum, minimum/maximum and their exclusive forms, items,
 *   default). Some values are known to the host, not to the user: the width of the features a
 *   stage receives, the number of classes. A module asks for them by annotating a top-level
 *   property with "x-zoo-from": SOURCE, e.g.
 *       "properties": {"width": {"type": "integer", "minimum": 1, "x-zoo-from": "input.features"}}
 *   SOURCE is one of:
 *     "input.features"    the feature width of the stage's input: D of [B, D] and [B, N, D],
 *                         C of [B, C, H, W] (a backbone's input is the data's sample shape);
 *     "input.channels"    C of an image-like input [B, C, H, W];
 *     "input.shape"       the input's shape without the batch axis, an integer array;
 *     "data.num_classes"  the manifest's data.num_classes;
 *     "data.class_counts" the training samples per class (data.class_counts, or the long-tail cut
 *                         of data.long_tail), an integer array.
 *   When the manifest leaves a bound key out and the source is known, the host fills it before it
 *   validates the configuration; a key the manifest gives is never replaced. The host fills no key
 *   that is not declared, whatever its name. A bound key the module cannot do without belongs in
 *   "required" (with no default): when its source is not known, the host refuses the
 *   configuration and says where to give the value. An unknown SOURCE makes the descriptor
 *   invalid.
 *   EXAMPLES. The schema's "examples" keyword lists complete configurations (each valid against
 *   the schema, bound keys given); "x-zoo-example-inputs", parallel to it, gives each example's
 *   input shapes with a batch axis (labels excluded), or null where the configuration implies
 *   them (an "input.features" key of a two-axis input, an "input.shape" key). `zoo plugin check`
 *   with no flags checks every module with each of its examples; `zoo describe` prints them; a
 *   library whose example does not match its schema is refused when loaded.
 *       "examples": [{"width": 64, "num_classes": 10}],
 *       "x-zoo-example-inputs": [[[4, 64]]]
 *   Modules whose descriptor's abi_minor is 2 or less declare nothing; for them the host keeps
 *   the 1.2 rule of names: a backbone's "in_dim" (one-axis samples) and "in_channels"; a
 *   relation's "dim"; a head's "in_dim"/"in_features" (input.features) and
 *   "num_classes"/"out_dim"/"out_features" (data.num_classes); a loss's "class_counts" (always
 *   needed) and "num_classes".
 *
 * MEMORY AND LIFETIMES
 *   - Buffers of forward outputs and of all gradients are allocated and freed by the host; the
 *     plug-in writes into them during the call and must not keep their pointers afterwards.
 *   - Input tensors are host memory, read-only. After a ZOO_MODE_EVAL forward they are valid only
 *     during the call. After a ZOO_MODE_TRAIN forward the host keeps them alive and unchanged until
 *     it releases that forward's state, so a plug-in may keep their pointers in its state instead
 *     of copying them (crossing the boundary costs no copy).
 *   - Parameters and buffers are plug-in memory: `parameters` lists them once after create; their
 *     `data` pointers stay valid and fixed until destroy. The host reads and WRITES their values in
 *     place (optimiser steps, checkpoint loading) between calls, never during one.
 *   - Strings in descriptors and in `zoo_plugin_info` are static and UTF-8. Strings passed by the
 *     host are valid only during the call.
 *   - Tensors are dense, row-major (strides NULL), on kDLCPU, byte_offset 0; float32 (kDLFloat,
 *     32 bits, 1 lane) unless a module documents int64 labels (kDLInt, 64 bits).
 *   - `host->allocate` returns 64-byte aligned memory that the plug-in may use for its own needs
 *     (state, scratch), released with `host->release`.
 *
 * THREADING
 *   A module whose descriptor says ZOO_THREADING_REENTRANT may be called from several threads at
 *   once (each forward with its own state); ZOO_THREADING_SERIALISED modules are called by one
 *   thread at a time. `host->parallel_for` lends the host's worker threads: it calls
 *   body(context, begin, end) on disjoint ranges covering [0, count) and returns when all are done;
 *   it may be called from any plug-in function.
 *
 * RANDOMNESS
 *   The host passed to create may be another table than the entry's: each run (pipeline) has its
 *   own, with its own seed and generator, valid until that module is destroyed. A module uses the
 *   table it was created with. `host->seed` is the run's seed: draw initial weights from it in create. A module that draws
 *   random numbers in a ZOO_MODE_TRAIN forward (dropout masks) takes a fresh seed from
 *   `host->next_seed(host->context)` at the start of that forward (1.2). The host's generator is
 *   part of its checkpoints, so a resumed run draws the same masks as one never stopped; a module
 *   that keeps its own generator across forwards could not be resumed exactly. Seeds are drawn in
 *   the order of the forwards, which the host makes the same in every run.
 *
 * ERRORS
 *   Functions return ZOO_OK or another zoo_status and, on failure, call
 *   host->set_error(error, status, message) with a message that says what was expected and found.
 *
 * A MINIMAL PLUG-IN (C)
 *   static const zoo_module_functions functions = {
 *       .struct_size = sizeof(zoo_module_functions), .abi_minor = ZOO_ABI_MINOR,
 *       .create = my_create, .destroy = my_destroy, .output_shapes = my_output_shapes,
 *       .forward = my_forward, .backward = my_backward, .release_state = my_release_state,
 *       .parameter_count = my_parameter_count, .parameters = my_parameters};
 *   static const zoo_module_descriptor scale = {
 *       .struct_size = sizeof(zoo_module_descriptor), .abi_minor = ZOO_ABI_MINOR,
 *       .kind = ZOO_KIND_HEAD, .threading = ZOO_THREADING_REENTRANT, .input_count = 1, .output_count = 1,
 *       .name = "scale", .summary = "multiplies by a learned scalar",
 *       .config_schema_json = "{\"type\": \"object\", \"properties\": {}}", .functions = &functions};
 *   static const zoo_module_descriptor *const modules[] = {&scale};
 *   static const zoo_plugin_info info = {
 *       .struct_size = sizeof(zoo_plugin_info), .abi_major = ZOO_ABI_MAJOR, .abi_minor = ZOO_ABI_MINOR,
 *       .name = "my-plugin", .version = "1.0.0", .module_count = 1, .modules = modules};
 *   const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *host, zoo_error *error) {
 *       return &info;
 *   }
 */
#ifndef ZOO_PLUGIN_H
#define ZOO_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <dlpack/dlpack.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZOO_ABI_MAJOR 1
#define ZOO_ABI_MINOR 3
/* The entry point's name, with the major version in it. */
#define ZOO_PLUGIN_ENTRY_SYMBOL "zoo_plugin_entry_v1"
/* The largest rank a zoo_shape holds. */
#define ZOO_MAX_RANK 8
/* Whether a struct whose first field is `struct_size` is large enough to hold `field`. */
#define ZOO_HAS_FIELD(pointer, type, field) \
    ((pointer)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Results of plug-in functions. */
typedef int32_t zoo_status;
#define ZOO_OK 0
#define ZOO_ERROR_INVALID_ARGUMENT 1 /* a null pointer, a wrong count */
#define ZOO_ERROR_INVALID_CONFIG 2   /* the configuration does not make a module */
#define ZOO_ERROR_SHAPE 3            /* input shapes the module cannot take */
#define ZOO_ERROR_UNSUPPORTED 4      /* a dtype, device or mode the module does not handle */
#define ZOO_ERROR_OUT_OF_MEMORY 5
#define ZOO_ERROR_INTERNAL 6

/* What a module is for. Hosts must tolerate values they do not know (more kinds may come). */
typedef int32_t zoo_module_kind;
#define ZOO_KIND_BACKBONE 1 /* images or features -> features [B, D] (or dense maps) */
#define ZOO_KIND_HEAD 2     /* features [B, D] -> logits [B, C] */
#define ZOO_KIND_LOSS 3     /* logits [B, C] and int64 labels [B] -> scalar loss [] */
#define ZOO_KIND_RELATION 4 /* a batch-relation module (BatchFormer) between backbone and head */

/* Whether a module may be entered from several threads at once. */
typedef int32_t zoo_threading;
#define ZOO_THREADING_SERIALISED 0
#define ZOO_THREADING_REENTRANT 1

/* forward's mode. */
typedef int32_t zoo_mode;
#define ZOO_MODE_EVAL 0
#define ZOO_MODE_TRAIN 1

/* How a module's training forward changes the batch, and so how the host changes the labels. */
typedef int32_t zoo_batch_effect;
#define ZOO_BATCH_UNCHANGED 0       /* output batch = input batch; labels unchanged */
#define ZOO_BATCH_TWO_STREAM 1      /* in ZOO_MODE_TRAIN output = concat([input, f(input)], axis 0):
                                       the batch doubles and the host duplicates the labels
                                       (concat([y, y])); in ZOO_MODE_EVAL the module is not run */

/* Log levels for host->log. */
#define ZOO_LOG_DEBUG 0
#define ZOO_LOG_INFO 1
#define ZOO_LOG_WARNING 2
#define ZOO_LOG_ERROR 3

/* An error the host owns; plug-ins fill it only through host->set_error. */
typedef struct zoo_error zoo_error;

/* A shape, for output_shapes. */
typedef struct zoo_shape {
    int32_t rank;
    int32_t reserved;
    int64_t dims[ZOO_MAX_RANK];
} zoo_shape;

/* The services a host offers its plug-ins. Valid from entry until the library is unloaded. */
typedef struct zoo_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    void *context; /* passed back to every function below */
    void *(*allocate)(void *context, size_t bytes);
    void (*release)(void *context, void *pointer);
    void (*log)(void *context, int32_t level, const char *message);
    void (*set_error)(zoo_error *error, zoo_status status, const char *message);
    int32_t thread_count;
    int32_t reserved;
    void (*parallel_for)(void *context, int64_t count,
                         void (*body)(void *body_context, int64_t begin, int64_t end), void *body_context);
    uint64_t seed; /* the run's seed, for modules that draw random numbers (dropout) */
    /* 1.2 */
    uint64_t (*next_seed)(void *context); /* the next seed of the host's run generator (see RANDOMNESS) */
} zoo_host_api;

/* A parameter or buffer of a module; `tensor.data` is plug-in memory (see MEMORY). */
typedef struct zoo_named_tensor {
    const char *name; /* state_dict-style key, e.g. "self_attn.in_proj_weight"; valid until destroy */
    DLTensor tensor;
    int32_t is_buffer; /* 0: a trainable parameter, 1: a buffer (running statistics) */
    int32_t reserved;
} zoo_named_tensor;

/* The functions of one module kind. */
typedef struct zoo_module_functions {
    uint32_t struct_size;
    uint16_t abi_minor;
    uint16_t reserved;
    zoo_status (*create)(const zoo_host_api *host, const char *config_json, void **module, zoo_error *error);
    void (*destroy)(void *module);
    zoo_status (*output_shapes)(void *module, int32_t input_count, const zoo_shape *inputs,
                                int32_t output_count, zoo_shape *outputs, zoo_error *error);
    zoo_status (*forward)(void *module, zoo_mode mode, int32_t input_count, const DLTensor *inputs,
                          int32_t output_count, DLTensor *outputs, void **state, zoo_error *error);
    zoo_status (*backward)(void *module, void *state, int32_t output_count, const DLTensor *output_gradients,
                           int32_t input_count, DLTensor *input_gradients,
                           int32_t parameter_count, DLTensor *parameter_gradients, zoo_error *error);
    void (*release_state)(void *module, void *state);
    int32_t (*parameter_count)(void *module); /* parameters and buffers */
    zoo_status (*parameters)(void *module, int32_t capacity, zoo_named_tensor *parameters, zoo_error *error);
} zoo_module_functions;

/* One module kind a plug-in offers. */
typedef struct zoo_module_descriptor {
    uint32_t struct_size;
    uint16_t abi_minor;
    uint16_t reserved;
    zoo_module_kind kind;
    zoo_threading threading;
    int32_t input_count;  /* tensors forward takes (a loss: logits and int64 labels) */
    int32_t output_count; /* tensors forward returns */
    zoo_batch_effect batch_effect;
    int32_t training_only;          /* 1: skipped in evaluation (BatchFormer), so inference costs nothing */
    const char *name;               /* unique across loaded plug-ins, e.g. "batchformer-v1" */
    const char *summary;            /* one line */
    const char *config_schema_json; /* a JSON Schema object: properties, types, ranges, defaults */
    const zoo_module_functions *functions;
    /* 1.1 */
    const char *documentation; /* longer help for `zoo describe`: what the module does to the batch
                                  and the labels, its inputs and outputs; may be NULL */
} zoo_module_descriptor;

/* What a plug-in library returns from its entry point. */
typedef struct zoo_plugin_info {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor; /* the minor version the plug-in requires */
    const char *name;
    const char *version;
    int32_t module_count;
    int32_t reserved;
    const zoo_module_descriptor *const *modules;
} zoo_plugin_info;

/* The entry point every plug-in exports under ZOO_PLUGIN_ENTRY_SYMBOL. */
typedef const zoo_plugin_info *(*zoo_plugin_entry_fn)(const zoo_host_api *host, zoo_error *error);

#ifdef __cplusplus
}
#endif
#endif /* ZOO_PLUGIN_H */
