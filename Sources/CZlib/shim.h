// zlib (Debian: zlib1g-dev), for gzip-compressed IDX files and deflated .npz members.
#include <zlib.h>
