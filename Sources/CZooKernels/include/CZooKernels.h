/* The C kernels of ZooTensor. */
#include "zoo_multiply.h"
#include "zoo_winograd.h"
