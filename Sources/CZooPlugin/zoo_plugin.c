/* The ABI is the header; this file gives the C target a source. */
#include "zoo_plugin.h"
