/* The scaled-head example plug-in exports only its entry point. */
#include "zoo_plugin.h"
const zoo_plugin_info *zoo_plugin_entry_v1(const zoo_host_api *host, zoo_error *error);
