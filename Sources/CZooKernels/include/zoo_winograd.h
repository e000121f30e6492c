/*
 * zoo_winograd.h — the transforms of the Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016), and their adjoints for training.
 *
 * A 3×3 stride-1 convolution is computed on 4×4 input tiles that overlap by 2 and give 2×2 output
 * tiles:  Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A.  Summed over input channels, the element-wise products
 * become 16 matrix products, one per tile position ξ = 4i + j, each over the channels: 16 multiplies
 * per 4 outputs instead of 36.
 *
 * Transformed tensors are laid out [16][planes][tiles]: position-major, then channel, then tile
 * (tile t = sample·tiles_h·tiles_w + row·tiles_w + column), so that each position's product is a
 * plain row-major GEMM. `tiles` is the row length (the tiles of every sample of the group) and
 * `position` the distance between positions (at least planes·tiles; see zoo_winograd_position).
 * Loops run 8 tiles at a time and may read up to 8 floats past the last position's last row:
 * transformed buffers need ZOO_WINOGRAD_SLACK floats beyond 16·position.
 */
#ifndef ZOO_WINOGRAD_H
#define ZOO_WINOGRAD_H

#ifdef __cplusplus
extern "C" {
#endif

#define ZOO_WINOGRAD_SLACK 16

/* The distance between tile positions for `planes` rows of `tiles`: at least planes·tiles, a
 * multiple of 16 floats (64 bytes) that is an odd multiple, so that the 16 positions' rows fall in
 * different cache sets (a power-of-two distance makes every position's row evict the others'). */
long zoo_winograd_position(int planes, long tiles);

/* Floats of scratch that every transform below needs, at most. */
long zoo_winograd_scratch(int tiles_h, int tiles_w);

/* V = Bᵀ d B of every input tile. x: [samples][channels][height][width]; the tile at (ty, tx) reads
 * input rows 2ty − pad_h … 2ty − pad_h + 3 (zero outside). */
void zoo_winograd_input(const float *x, int samples, int channels, int height, int width,
                        int pad_h, int pad_w, int tiles_h, int tiles_w, long tiles, long position,
                        float *v, float *scratch);

/* dx = Σ over tiles of B dV Bᵀ (overlapping tiles add up): the adjoint of zoo_winograd_input.
 * dx [samples][channels][height][width] is overwritten. */
void zoo_winograd_input_adjoint(const float *dv, int samples, int channels, int height, int width,
                                int pad_h, int pad_w, int tiles_h, int tiles_w, long tiles, long position,
                                float *dx, float *scratch);

/* y = Aᵀ M A of every tile, plus bias[k] when bias is not null; outputs beyond
 * [out_h, out_w] are dropped. y: [samples][channels][out_h][out_w]. */
void zoo_winograd_output(const float *m, int samples, int channels, int out_h, int out_w,
                         int tiles_h, int tiles_w, long tiles, long position, const float *bias,
                         float *y, float *scratch);

/* M̄ = A dY Aᵀ of every tile (outputs beyond [out_h, out_w] count as zero): the adjoint of
 * zoo_winograd_output. */
void zoo_winograd_output_adjoint(const float *dy, int samples, int channels, int out_h, int out_w,
                                 int tiles_h, int tiles_w, long tiles, long position, float *m, float *scratch);

/* U = G g Gᵀ for weight g [outputs][inputs][3][3], written as u [16][outputs][inputs]. */
void zoo_winograd_weight(const float *g, int outputs, int inputs, float *u);

/* dg += Gᵀ dU G: the adjoint of zoo_winograd_weight, from du [16][outputs][inputs] into
 * dg [outputs][inputs][3][3]. */
void zoo_winograd_weight_adjoint(const float *du, int outputs, int inputs, float *dg);

#ifdef __cplusplus
}
#endif

#endif
