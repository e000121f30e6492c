/* The Winograd products: see zoo_multiply.h.
 *
 * Blocks of 4 rows × 16 columns of the output stay in 8 vector registers while the inner
 * dimension runs: per step, two loads of V, four broadcasts of A and eight fused multiply-adds. */
#include "zoo_multiply.h"

#include <string.h>

typedef float f8 __attribute__((vector_size(32)));

#define LOAD8(p) ({ f8 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define STORE8(p, v) do { f8 s_ = (v); memcpy((p), &s_, sizeof s_); } while (0)

/* Stores lanes [0, n) of the 16 floats lo‖hi, n ≤ 16. */
#define STORE_PART(p, lo, hi, n) do { \
        float l_[16]; STORE8(l_, (lo)); STORE8(l_ + 8, (hi)); memcpy((p), l_, sizeof(float) * (size_t)(n)); \
    } while (0)

/* One block of `R` rows (a compile-time constant where it is used) from row r0, columns t0 … t0+16. */
#define BLOCK(R) do { \
        f8 acc[R][2]; \
        for (int r = 0; r < (R); r++) acc[r][0] = acc[r][1] = (f8){0}; \
        const float *ai = a + (long)r0 * row_stride, *vi = v + t0; \
        for (int i = 0; i < inner; i++, ai += inner_stride, vi += columns) { \
            f8 v0 = LOAD8(vi), v1 = LOAD8(vi + 8); \
            for (int r = 0; r < (R); r++) { \
                f8 b = (f8){0} + ai[r * row_stride]; \
                acc[r][0] += b * v0; \
                acc[r][1] += b * v1; \
            } \
        } \
        for (int r = 0; r < (R); r++) { \
            float *o = out + (long)(r0 + r) * columns + t0; \
            if (width == 16) { STORE8(o, acc[r][0]); STORE8(o + 8, acc[r][1]); } \
            else STORE_PART(o, acc[r][0], acc[r][1], width); \
        } \
    } while (0)

#define MULTIPLY_BODY do { \
        for (long t0 = 0; t0 < columns; t0 += 16) { \
            const int width = columns - t0 < 16 ? (int)(columns - t0) : 16; \
            int r0 = 0; \
            for (; r0 + 6 <= rows; r0 += 6) BLOCK(6); \
            for (; r0 + 4 <= rows; r0 += 4) BLOCK(4); \
            for (; r0 < rows; r0++) BLOCK(1); \
        } \
    } while (0)

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void multiply_avx2(const float *a, long row_stride, long inner_stride, int rows, int inner,
                          const float *v, long columns, float *out) {
    MULTIPLY_BODY;
}
#endif

static void multiply_baseline(const float *a, long row_stride, long inner_stride, int rows, int inner,
                              const float *v, long columns, float *out) {
    MULTIPLY_BODY;
}

void zoo_multiply_small(const float *a, long row_stride, long inner_stride, int rows, int inner,
                        const float *v, long columns, float *out) {
#if defined(__x86_64__)
    static int fused = -1;
    if (fused < 0) fused = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (fused) {
        multiply_avx2(a, row_stride, inner_stride, rows, inner, v, columns, out);
        return;
    }
#endif
    multiply_baseline(a, row_stride, inner_stride, rows, inner, v, columns, out);
}
