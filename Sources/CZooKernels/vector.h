/* Eight-float vectors for the C kernels (clang/GCC vector extensions), private to this target.
 *
 * Helpers are macros: a function taking or returning an f8 would need the AVX calling convention,
 * which a kernel's baseline (non-AVX) build cannot use.
 *
 * The target builds with -fno-builtin, so that the compiler does not turn the kernels' short copy
 * and clear loops into memcpy and memset calls (for lines of a few dozen floats, the call costs
 * more than the copy: 7–10% of W2's time); copies meant as such are written __builtin_memcpy. */
#ifndef ZOO_KERNELS_VECTOR_H
#define ZOO_KERNELS_VECTOR_H

#include <string.h>

typedef float f8 __attribute__((vector_size(32)));
typedef int i8 __attribute__((vector_size(32)));
typedef float f4 __attribute__((vector_size(16)));

/* Unaligned load, store and add-into of 8 floats. */
#define LOAD8(p) ({ f8 v_; __builtin_memcpy(&v_, (p), sizeof v_); v_; })
#define STORE8(p, v) do { f8 s_ = (v); __builtin_memcpy((p), &s_, sizeof s_); } while (0)
#define ADD8(p, v) do { float *a_ = (p); STORE8(a_, LOAD8(a_) + (v)); } while (0)

#endif
