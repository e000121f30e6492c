#include "zoo_plugin.h"
