/* Freezes the layout of every struct of the plug-in ABI 1.x on 64-bit targets: a change that moves
 * a field breaks every plug-in already built, so it must fail the build here. Fields may only be
 * appended (and these numbers updated together with ZOO_ABI_MINOR). */
#include <stddef.h>
#include "zoo_plugin.h"

#define FROZEN(type, field, offset) _Static_assert(offsetof(type, field) == (offset), #type "." #field " moved")
#define SIZE(type, size) _Static_assert(sizeof(type) == (size), "sizeof(" #type ") changed")

_Static_assert(sizeof(void *) == 8, "the frozen layout below is for 64-bit targets");
_Static_assert(ZOO_ABI_MAJOR == 1, "a new major version needs a new layout check");

FROZEN(zoo_shape, rank, 0);
FROZEN(zoo_shape, dims, 8);
SIZE(zoo_shape, 72);

FROZEN(zoo_host_api, struct_size, 0);
FROZEN(zoo_host_api, abi_major, 4);
FROZEN(zoo_host_api, abi_minor, 6);
FROZEN(zoo_host_api, context, 8);
FROZEN(zoo_host_api, allocate, 16);
FROZEN(zoo_host_api, release, 24);
FROZEN(zoo_host_api, log, 32);
FROZEN(zoo_host_api, set_error, 40);
FROZEN(zoo_host_api, thread_count, 48);
FROZEN(zoo_host_api, parallel_for, 56);
FROZEN(zoo_host_api, seed, 64);
FROZEN(zoo_host_api, next_seed, 72);
SIZE(zoo_host_api, 80);

FROZEN(zoo_named_tensor, name, 0);
FROZEN(zoo_named_tensor, tensor, 8);
FROZEN(zoo_named_tensor, is_buffer, 56);
SIZE(zoo_named_tensor, 64);

FROZEN(zoo_module_functions, struct_size, 0);
FROZEN(zoo_module_functions, abi_minor, 4);
FROZEN(zoo_module_functions, create, 8);
FROZEN(zoo_module_functions, destroy, 16);
FROZEN(zoo_module_functions, output_shapes, 24);
FROZEN(zoo_module_functions, forward, 32);
FROZEN(zoo_module_functions, backward, 40);
FROZEN(zoo_module_functions, release_state, 48);
FROZEN(zoo_module_functions, parameter_count, 56);
FROZEN(zoo_module_functions, parameters, 64);
SIZE(zoo_module_functions, 72);

FROZEN(zoo_module_descriptor, struct_size, 0);
FROZEN(zoo_module_descriptor, abi_minor, 4);
FROZEN(zoo_module_descriptor, kind, 8);
FROZEN(zoo_module_descriptor, threading, 12);
FROZEN(zoo_module_descriptor, input_count, 16);
FROZEN(zoo_module_descriptor, output_count, 20);
FROZEN(zoo_module_descriptor, batch_effect, 24);
FROZEN(zoo_module_descriptor, training_only, 28);
FROZEN(zoo_module_descriptor, name, 32);
FROZEN(zoo_module_descriptor, summary, 40);
FROZEN(zoo_module_descriptor, config_schema_json, 48);
FROZEN(zoo_module_descriptor, functions, 56);
FROZEN(zoo_module_descriptor, documentation, 64); /* 1.1 */
SIZE(zoo_module_descriptor, 72);

FROZEN(zoo_plugin_info, struct_size, 0);
FROZEN(zoo_plugin_info, abi_major, 4);
FROZEN(zoo_plugin_info, abi_minor, 6);
FROZEN(zoo_plugin_info, name, 8);
FROZEN(zoo_plugin_info, version, 16);
FROZEN(zoo_plugin_info, module_count, 24);
FROZEN(zoo_plugin_info, modules, 32);
SIZE(zoo_plugin_info, 40);

/* DLPack 0.6's DLTensor, which crosses inside zoo_named_tensor and every forward/backward. */
FROZEN(DLTensor, data, 0);
FROZEN(DLTensor, ndim, 16);
FROZEN(DLTensor, shape, 24);
FROZEN(DLTensor, byte_offset, 40);
SIZE(DLTensor, 48);

int zoo_plugin_layout_checked(void) { return 1; }
