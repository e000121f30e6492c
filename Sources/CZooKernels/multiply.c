/* The Winograd products: see zoo_multiply.h.
 *
 * zoo_multiply_small: blocks of 6 rows × 16 columns of the output stay in 12 vector registers
 * while the inner dimension runs; per step, two loads of V, six broadcasts of A and twelve fused
 * multiply-adds (then blocks of 4 and of 1 row for the rest).
 * zoo_multiply_reduce: blocks of 4 × 2 outputs, each an 8-lane accumulator along the common
 * dimension (4 × 3 would need more than the 16 AVX2 registers, and spilled). */
#include "zoo_multiply.h"
#include "vector.h"

/* Stores lanes [0, n) of the 16 floats lo‖hi, n ≤ 16. */
#define STORE_PART(p, lo, hi, n) do { \
        float l_[16]; STORE8(l_, (lo)); STORE8(l_ + 8, (hi)); __builtin_memcpy((p), l_, sizeof(float) * (size_t)(n)); \
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

/* A block of RA rows of A against RB rows of B: RA·RB accumulators of 8 lanes along the common
 * dimension, summed across their lanes at the end. */
#define REDUCE_BLOCK(RA, RB) do { \
        f8 acc[RA][RB]; \
        for (int i = 0; i < (RA); i++) for (int j = 0; j < (RB); j++) acc[i][j] = (f8){0}; \
        const float *ar = a + (long)r * columns, *br = b + (long)c * columns; \
        long t = 0; \
        for (; t + 8 <= columns; t += 8) { \
            f8 x[RA], y[RB]; \
            for (int i = 0; i < (RA); i++) x[i] = LOAD8(ar + i * columns + t); \
            for (int j = 0; j < (RB); j++) y[j] = LOAD8(br + j * columns + t); \
            for (int i = 0; i < (RA); i++) for (int j = 0; j < (RB); j++) acc[i][j] += x[i] * y[j]; \
        } \
        if (t < columns) { /* the last lanes read on into the next row (anything, NaN included): zero them in both */ \
            const i8 keep = lane < (int)(columns - t); \
            f8 x[RA], y[RB]; \
            for (int i = 0; i < (RA); i++) x[i] = (f8)((i8)LOAD8(ar + i * columns + t) & keep); \
            for (int j = 0; j < (RB); j++) y[j] = (f8)((i8)LOAD8(br + j * columns + t) & keep); \
            for (int i = 0; i < (RA); i++) for (int j = 0; j < (RB); j++) acc[i][j] += x[i] * y[j]; \
        } \
        for (int i = 0; i < (RA); i++) for (int j = 0; j < (RB); j++) { \
            f8 s = acc[i][j]; \
            out[(long)(r + i) * cols + c + j] += ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])); \
        } \
    } while (0)

#define REDUCE_BODY do { \
        const i8 lane = {0, 1, 2, 3, 4, 5, 6, 7}; \
        int r = 0; \
        for (; r + 4 <= rows; r += 4) { \
            int c = 0; \
            for (; c + 2 <= cols; c += 2) REDUCE_BLOCK(4, 2); \
            for (; c < cols; c++) REDUCE_BLOCK(4, 1); \
        } \
        for (; r < rows; r++) { \
            int c = 0; \
            for (; c + 2 <= cols; c += 2) REDUCE_BLOCK(1, 2); \
            for (; c < cols; c++) REDUCE_BLOCK(1, 1); \
        } \
    } while (0)

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void reduce_avx2(const float *a, int rows, const float *b, int cols, long columns, float *out) {
    REDUCE_BODY;
}
#endif

static void reduce_baseline(const float *a, int rows, const float *b, int cols, long columns, float *out) {
    REDUCE_BODY;
}

/* Whether the CPU has AVX2 and FMA (asked once). */
static int has_fused_avx2(void) {
#if defined(__x86_64__)
    static int fused = -1;
    if (fused < 0) fused = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return fused;
#else
    return 0;
#endif
}

const char *zoo_kernel_variant(void) { return has_fused_avx2() ? "avx2+fma" : "portable"; }

void zoo_multiply_reduce(const float *a, int rows, const float *b, int cols, long columns, float *out) {
#if defined(__x86_64__)
    if (has_fused_avx2()) {
        reduce_avx2(a, rows, b, cols, columns, out);
        return;
    }
#endif
    reduce_baseline(a, rows, b, cols, columns, out);
}

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
    if (has_fused_avx2()) {
        multiply_avx2(a, row_stride, inner_stride, rows, inner, v, columns, out);
        return;
    }
#endif
    multiply_baseline(a, row_stride, inner_stride, rows, inner, v, columns, out);
}
