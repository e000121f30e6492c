/*
 * zoo_multiply.h — the products of the Winograd convolution: out = A · V for a small matrix A
 * (channels × channels, a few KiB) and a wide V (channels × tiles), and the weight gradient's
 * A · Bᵀ of two wide ones.
 */
#ifndef ZOO_MULTIPLY_H
#define ZOO_MULTIPLY_H

#ifdef __cplusplus
extern "C" {
#endif

/* out[r][t] = Σᵢ a[r·row_stride + i·inner_stride] · v[i·columns + t] for r < rows, t < columns;
 * out is rows × columns, row-major. Passing the strides of a stored matrix or of its transpose
 * picks A or Aᵀ. V is read 16 columns at a time and may be read up to 15 floats past its last row.
 *
 * Unlike a general GEMM this packs nothing: V's rows are already contiguous, and A is broadcast
 * element by element, so a product whose inner dimension is only 16 runs at the speed of a large one. */
void zoo_multiply_small(const float *a, long row_stride, long inner_stride, int rows, int inner,
                        const float *v, long columns, float *out);

/* out[r][c] += Σₜ a[r·columns + t] · b[c·columns + t] for r < rows, c < cols: the product A·Bᵀ of
 * two wide matrices (rows × columns and cols × columns), reduced over their long common dimension,
 * as in the weight gradient. Both may be read up to 7 floats past their last row. */
void zoo_multiply_reduce(const float *a, int rows, const float *b, int cols, long columns, float *out);

/* The variant of these kernels chosen for this CPU when first asked: "avx2+fma" or "portable". */
const char *zoo_kernel_variant(void);

#ifdef __cplusplus
}
#endif

#endif
