/* Winograd F(2×2, 3×3) transforms: see zoo_winograd.h.
 *
 * Every transform runs 8 tiles at a time along a row of tiles (the innermost index of the
 * transformed layout). A tile row reads overlapping 4-wide windows of input lines at stride 2:
 * two 8-float loads de-interleaved into even and odd columns give four windows' columns at once.
 * Input lines are first copied into zero-padded buffers, which keeps bounds checks out of the loops. */
#include "zoo_winograd.h"
#include "vector.h"

#if defined(__x86_64__) && defined(__clang__)
/* An AVX2 build of each transform beside the baseline one, chosen at load time by the CPU. */
#define ZOO_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ZOO_CLONES
#endif

/* Stores the first n lanes of v (all of them when n ≥ 8): by halves and single lanes, since a
 * spill to memory and a copy back would stall on store forwarding. */
#define STORE_FIRST(p, v, n) do { \
        float *p_ = (p); f8 v_ = (v); int n_ = (n); \
        if (n_ >= 8) { STORE8(p_, v_); break; } \
        f4 h_ = __builtin_shufflevector(v_, v_, 0, 1, 2, 3); \
        if (n_ >= 4) { __builtin_memcpy(p_, &h_, sizeof h_); h_ = __builtin_shufflevector(v_, v_, 4, 5, 6, 7); p_ += 4; n_ -= 4; } \
        for (int i_ = 0; i_ < n_; i_++) p_[i_] = h_[i_]; \
    } while (0)
/* The even and odd lanes of the 16 floats a‖b. */
#define EVEN_LANES(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define ODD_LANES(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
/* a0 b0 a1 b1 … a7 b7, as two halves. */
#define ZIP_LOW(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define ZIP_HIGH(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)

/* The 16 tile positions of 8 tiles from `in` (lanes outside `valid` zeroed), with B applied
 * across the lines, (v0, v1 − v2 + v3, −v0 + v1 + v2, −v3), into q[16]: the first half of the
 * input transform's adjoint. */
#define ADJOINT_ACROSS_LINES(q, in, position, valid) do { \
        f8 m_[16]; \
        for (int k_ = 0; k_ < 16; k_++) m_[k_] = (f8)((i8)LOAD8((in) + k_ * (position)) & (valid)); \
        for (int j_ = 0; j_ < 4; j_++) { \
            (q)[j_] = m_[j_]; \
            (q)[4 + j_] = m_[4 + j_] - m_[8 + j_] + m_[12 + j_]; \
            (q)[8 + j_] = m_[4 + j_] + m_[8 + j_] - m_[j_]; \
            (q)[12 + j_] = -m_[12 + j_]; \
        } \
    } while (0)

/* Floats of one padded line: two per tile, rounded up to whole blocks of 8 tiles, plus the reach
 * of the last block's loads. */
static inline int line_length(int tiles_w) { return 2 * ((tiles_w + 7) / 8 * 8) + 16; }

long zoo_winograd_position(int planes, long tiles) {
    long position = ((long)planes * tiles + 15) / 16 * 16;
    if ((position / 16) % 2 == 0) position += 16;
    return position;
}

long zoo_winograd_scratch(int tiles_h, int tiles_w) {
    return (long)(2 * tiles_h + 6) * line_length(tiles_w);
}

/* Copies n floats, 8 at a time. The lines here are a few dozen floats, for which a call to memcpy
 * (or memset) costs more than the copy itself. */
static inline void copy_floats(float *restrict target, const float *restrict source, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) STORE8(target + i, LOAD8(source + i));
    for (; i < n; i++) target[i] = source[i];
}

/* Copies input row `row` of `plane` into line[0 … length), where line[j] holds column j − pad
 * (length is a multiple of 8). */
static inline void padded_line(const float *plane, int height, int width, int row, int pad,
                               int length, float *line) {
    const f8 zero = {0};
    for (int j = 0; j < length; j += 8) STORE8(line + j, zero);
    if (row < 0 || row >= height) return;
    int first = pad < length ? pad : length;        /* first j holding an image column */
    int last = pad + width < length ? pad + width : length;
    copy_floats(line + first, plane + (size_t)row * width, last - first);
}

/* Rows of 4 tiles (8×8 and 7×7 outputs) fill half a vector: these take two tile rows at once,
 * lanes 0–3 from row ty and lanes 4–7 from row ty + 1, which are also next to each other in the
 * transformed layout. When the tile rows are odd, the last one goes alone (4 lanes). */

/* zoo_winograd_input for one plane with 4 tiles per row; out is the plane's first tile. */
ZOO_CLONES
static void input_paired(const float *plane, int height, int width, int pad_h, int pad_w, int tiles_h,
                         long position, float *out, float *scratch) {
    const int length = line_length(4);
    for (int ty = 0; ty < tiles_h; ty += 2) {
        for (int r = 0; r < 6; r++) padded_line(plane, height, width, 2 * ty - pad_h + r, pad_w, length, scratch + r * length);
        const int n = ty + 1 < tiles_h ? 8 : 4;
        f8 w[4][4];
        for (int r = 0; r < 4; r++) {
            const float *line = scratch + r * length, *next = line + 2 * length;   /* row ty's line r, row ty + 1's */
            f8 a = LOAD8(line), b = LOAD8(next), a2 = LOAD8(line + 2), b2 = LOAD8(next + 2);
            f8 d0 = EVEN_LANES(a, b), d1 = ODD_LANES(a, b), d2 = EVEN_LANES(a2, b2), d3 = ODD_LANES(a2, b2);
            w[r][0] = d0 - d2, w[r][1] = d1 + d2, w[r][2] = d2 - d1, w[r][3] = d1 - d3;
        }
        float *o = out + ty * 4;
        for (int j = 0; j < 4; j++) {
            STORE_FIRST(o + j * position, w[0][j] - w[2][j], n);
            STORE_FIRST(o + (4 + j) * position, w[1][j] + w[2][j], n);
            STORE_FIRST(o + (8 + j) * position, w[2][j] - w[1][j], n);
            STORE_FIRST(o + (12 + j) * position, w[1][j] - w[3][j], n);
        }
    }
}

/* zoo_winograd_output_adjoint for one plane with 4 tiles per row. */
ZOO_CLONES
static void output_adjoint_paired(const float *plane, int out_h, int out_w, int tiles_h, long position,
                                  float *out, float *scratch) {
    const int length = line_length(4);
    float *lines[4] = {scratch, scratch + length, scratch + 2 * length, scratch + 3 * length};
    for (int ty = 0; ty < tiles_h; ty += 2) {
        for (int r = 0; r < 4; r++) padded_line(plane, out_h, out_w, 2 * ty + r, 0, length, lines[r]);
        const int n = ty + 1 < tiles_h ? 8 : 4;
        f8 a = LOAD8(lines[0]), b = LOAD8(lines[2]), c = LOAD8(lines[1]), d = LOAD8(lines[3]);
        f8 t0 = EVEN_LANES(a, b), t1 = ODD_LANES(a, b), u0 = EVEN_LANES(c, d), u1 = ODD_LANES(c, d);
        f8 e0[4] = {t0, t0 + t1, t0 - t1, -t1};
        f8 e1[4] = {u0, u0 + u1, u0 - u1, -u1};
        float *o = out + ty * 4;
        for (int j = 0; j < 4; j++) {
            STORE_FIRST(o + j * position, e0[j], n);
            STORE_FIRST(o + (4 + j) * position, e0[j] + e1[j], n);
            STORE_FIRST(o + (8 + j) * position, e0[j] - e1[j], n);
            STORE_FIRST(o + (12 + j) * position, -e1[j], n);
        }
    }
}

/* The tile-row loop of zoo_winograd_input_adjoint for one plane with 4 tiles per row, adding
 * into the zeroed padded plane (which has 2 spare lines below it for a last lone tile row). */
ZOO_CLONES
static void input_adjoint_paired(const float *in, int tiles_h, long position, float *padded, int length) {
    const i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const f8 zero = {0};
    for (int ty = 0; ty < tiles_h; ty += 2) {
        const i8 valid = lane < (ty + 1 < tiles_h ? 8 : 4);
        f8 q[16];
        ADJOINT_ACROSS_LINES(q, in + ty * 4, position, valid);
        for (int r = 0; r < 4; r++) {
            const f8 *p = q + 4 * r;
            f8 z0 = p[0], z1 = p[1] - p[2] + p[3], z2 = p[1] + p[2] - p[0], z3 = -p[3];
            /* One lane up within each half: a tile's z2, z3 reach its right neighbour's columns. */
            f8 e = z0 + __builtin_shufflevector(z2, zero, 8, 0, 1, 2, 8, 4, 5, 6);
            f8 d = z1 + __builtin_shufflevector(z3, zero, 8, 0, 1, 2, 8, 4, 5, 6);
            float *line = padded + (size_t)(2 * ty + r) * length, *next = line + 2 * length;
            ADD8(line, ZIP_LOW(e, d));
            ADD8(next, ZIP_HIGH(e, d));
            line[8] += z2[3], line[9] += z3[3];
            next[8] += z2[7], next[9] += z3[7];
        }
    }
}

ZOO_CLONES
void zoo_winograd_input(const float *x, int samples, int channels, int height, int width,
                        int pad_h, int pad_w, int tiles_h, int tiles_w, long tiles, long position,
                        float *v, float *scratch) {
    const int length = line_length(tiles_w);
    for (int s = 0; s < samples; s++) {
        for (int c = 0; c < channels; c++) {
            const float *plane = x + ((size_t)s * channels + c) * height * width;
            if (tiles_w == 4) {
                input_paired(plane, height, width, pad_h, pad_w, tiles_h, position,
                             v + c * tiles + (long)s * tiles_h * 4, scratch);
                continue;
            }
            float *lines[4] = {scratch, scratch + length, scratch + 2 * length, scratch + 3 * length};
            for (int ty = 0; ty < tiles_h; ty++) {
                const int row = 2 * ty - pad_h;
                if (ty == 0) {
                    padded_line(plane, height, width, row, pad_w, length, lines[0]);
                    padded_line(plane, height, width, row + 1, pad_w, length, lines[1]);
                } else {   /* the previous tile row's last two lines are this one's first two */
                    float *l0 = lines[0], *l1 = lines[1];
                    lines[0] = lines[2], lines[1] = lines[3], lines[2] = l0, lines[3] = l1;
                }
                padded_line(plane, height, width, row + 2, pad_w, length, lines[2]);
                padded_line(plane, height, width, row + 3, pad_w, length, lines[3]);
                float *out = v + c * tiles + ((long)s * tiles_h + ty) * tiles_w;
                for (int tx = 0; tx < tiles_w; tx += 8) {
                    const int o = 2 * tx, n = tiles_w - tx;
                    f8 w[4][4];
                    for (int r = 0; r < 4; r++) {
                        const float *line = lines[r] + o;
                        f8 a = LOAD8(line), b = LOAD8(line + 8), a2 = LOAD8(line + 2), b2 = LOAD8(line + 10);
                        f8 d0 = EVEN_LANES(a, b), d1 = ODD_LANES(a, b), d2 = EVEN_LANES(a2, b2), d3 = ODD_LANES(a2, b2);
                        /* Bᵀ along the line: (d0 − d2, d1 + d2, d2 − d1, d1 − d3) … */
                        w[r][0] = d0 - d2, w[r][1] = d1 + d2, w[r][2] = d2 - d1, w[r][3] = d1 - d3;
                    }
                    /* … then across the four lines. */
                    for (int j = 0; j < 4; j++) {
                        STORE_FIRST(out + j * position + tx, w[0][j] - w[2][j], n);
                        STORE_FIRST(out + (4 + j) * position + tx, w[1][j] + w[2][j], n);
                        STORE_FIRST(out + (8 + j) * position + tx, w[2][j] - w[1][j], n);
                        STORE_FIRST(out + (12 + j) * position + tx, w[1][j] - w[3][j], n);
                    }
                }
            }
        }
    }
}

ZOO_CLONES
void zoo_winograd_input_adjoint(const float *dv, int samples, int channels, int height, int width,
                                int pad_h, int pad_w, int tiles_h, int tiles_w, long tiles, long position,
                                float *dx, float *scratch) {
    const int length = line_length(tiles_w), lines = 2 * tiles_h + 2;
    const i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int s = 0; s < samples; s++) {
        for (int c = 0; c < channels; c++) {
            float *padded = scratch;   /* [lines][length]: the padded plane's gradient */
            __builtin_memset(padded, 0, sizeof(float) * (size_t)lines * length);
            if (tiles_w == 4) input_adjoint_paired(dv + c * tiles + (long)s * tiles_h * 4, tiles_h, position, padded, length);
            for (int ty = 0; ty < tiles_h && tiles_w != 4; ty++) {
                f8 carry2[4] = {{0}}, carry3[4] = {{0}};
                const float *in = dv + c * tiles + ((long)s * tiles_h + ty) * tiles_w;
                for (int tx = 0; tx < tiles_w; tx += 8) {
                    const int o = 2 * tx, n = tiles_w - tx;
                    const i8 valid = lane < n;   /* lanes past the row's last tile read other data */
                    f8 q[16];
                    ADJOINT_ACROSS_LINES(q, in + tx, position, valid);
                    /* Then B along each line, added into the plane. Neighbouring tiles overlap in two
                     * columns: column 2p gets z0 of tile p and z2 of tile p − 1, column 2p + 1 gets z1
                     * of tile p and z3 of tile p − 1, so z2 and z3 move one lane up (lane 0 from the
                     * previous block's lane 7). */
                    for (int r = 0; r < 4; r++) {
                        const f8 *p = q + 4 * r;
                        f8 z0 = p[0], z1 = p[1] - p[2] + p[3], z2 = p[1] + p[2] - p[0], z3 = -p[3];
                        f8 e = z0 + __builtin_shufflevector(carry2[r], z2, 7, 8, 9, 10, 11, 12, 13, 14);
                        f8 d = z1 + __builtin_shufflevector(carry3[r], z3, 7, 8, 9, 10, 11, 12, 13, 14);
                        carry2[r] = z2, carry3[r] = z3;
                        float *line = padded + (size_t)(2 * ty + r) * length + o;
                        ADD8(line, ZIP_LOW(e, d));
                        ADD8(line + 8, ZIP_HIGH(e, d));
                    }
                }
                /* The last block's lane 7 (zero unless that block was full) reaches the last two columns. */
                const int last = (tiles_w + 7) / 8 * 8;
                for (int r = 0; r < 4; r++) {
                    float *line = padded + (size_t)(2 * ty + r) * length + 2 * last;
                    line[0] += carry2[r][7];
                    line[1] += carry3[r][7];
                }
            }
            float *plane = dx + ((size_t)s * channels + c) * height * width;
            for (int row = 0; row < height; row++) {
                copy_floats(plane + (size_t)row * width, padded + (size_t)(row + pad_h) * length + pad_w, width);
            }
        }
    }
}

ZOO_CLONES
void zoo_winograd_output(const float *m, int samples, int channels, int out_h, int out_w,
                         int tiles_h, int tiles_w, long tiles, long position, const float *bias,
                         float *y, float *scratch) {
    const int length = line_length(tiles_w);
    float *top = scratch, *bottom = scratch + length;
    for (int s = 0; s < samples; s++) {
        for (int k = 0; k < channels; k++) {
            float *plane = y + ((size_t)s * channels + k) * out_h * out_w;
            const f8 b = (f8){0} + (bias ? bias[k] : 0);
            /* With 4 tiles per row, a block of 8 is two tile rows: the upper half of each line
             * buffer then holds the next tile row's line. */
            const int step = tiles_w == 4 ? 2 : 1;
            for (int ty = 0; ty < tiles_h; ty += step) {
                const float *in = m + k * tiles + ((long)s * tiles_h + ty) * tiles_w;
                /* Where whole blocks fill whole rows, straight into the output rows. */
                const int row = 2 * ty, direct = out_w == 2 * tiles_w && tiles_w % 8 == 0;
                float *upper = direct ? plane + (size_t)row * out_w : top;
                float *lower = direct && row + 1 < out_h ? plane + (size_t)(row + 1) * out_w : bottom;
                for (int tx = 0; tx < tiles_w; tx += 8) {
                    f8 v[16];
                    for (int i = 0; i < 16; i++) v[i] = LOAD8(in + i * position + tx);
                    /* Aᵀ across the lines: (m0 + m1 + m2, m1 − m2 − m3) … */
                    f8 r0[4], r1[4];
                    for (int j = 0; j < 4; j++) {
                        r0[j] = v[j] + v[4 + j] + v[8 + j];
                        r1[j] = v[4 + j] - v[8 + j] - v[12 + j];
                    }
                    /* … and along them. */
                    f8 y00 = r0[0] + r0[1] + r0[2] + b, y01 = r0[1] - r0[2] - r0[3] + b;
                    f8 y10 = r1[0] + r1[1] + r1[2] + b, y11 = r1[1] - r1[2] - r1[3] + b;
                    STORE8(upper + 2 * tx, ZIP_LOW(y00, y01));
                    STORE8(upper + 2 * tx + 8, ZIP_HIGH(y00, y01));
                    STORE8(lower + 2 * tx, ZIP_LOW(y10, y11));
                    STORE8(lower + 2 * tx + 8, ZIP_HIGH(y10, y11));
                }
                for (int half = 0; half < step && ty + half < tiles_h && !direct; half++) {
                    const int line = 2 * (ty + half);
                    copy_floats(plane + (size_t)line * out_w, top + 8 * half, out_w);
                    if (line + 1 < out_h) copy_floats(plane + (size_t)(line + 1) * out_w, bottom + 8 * half, out_w);
                }
            }
        }
    }
}

ZOO_CLONES
void zoo_winograd_output_adjoint(const float *dy, int samples, int channels, int out_h, int out_w,
                                 int tiles_h, int tiles_w, long tiles, long position, float *m, float *scratch) {
    const int length = line_length(tiles_w);
    float *top = scratch, *bottom = scratch + length;
    for (int s = 0; s < samples; s++) {
        for (int k = 0; k < channels; k++) {
            const float *plane = dy + ((size_t)s * channels + k) * out_h * out_w;
            if (tiles_w == 4) {
                output_adjoint_paired(plane, out_h, out_w, tiles_h, position, m + k * tiles + (long)s * tiles_h * 4, scratch);
                continue;
            }
            /* Where whole blocks span whole rows, the rows are read in place. */
            const int direct = out_w == 2 * tiles_w && tiles_w % 8 == 0;
            for (int ty = 0; ty < tiles_h; ty++) {
                const float *upper = top, *lower = bottom;
                if (direct) {
                    upper = plane + (size_t)(2 * ty) * out_w;
                } else {
                    padded_line(plane, out_h, out_w, 2 * ty, 0, length, top);
                }
                if (direct && 2 * ty + 1 < out_h) {
                    lower = upper + out_w;
                } else {
                    padded_line(plane, out_h, out_w, 2 * ty + 1, 0, length, bottom);   /* zeros past the end */
                }
                float *out = m + k * tiles + ((long)s * tiles_h + ty) * tiles_w;
                for (int tx = 0; tx < tiles_w; tx += 8) {
                    const int o = 2 * tx, n = tiles_w - tx;
                    f8 a = LOAD8(upper + o), b = LOAD8(upper + o + 8), c = LOAD8(lower + o), d = LOAD8(lower + o + 8);
                    f8 t0 = EVEN_LANES(a, b), t1 = ODD_LANES(a, b), u0 = EVEN_LANES(c, d), u1 = ODD_LANES(c, d);
                    /* A along each line: (y0, y0 + y1, y0 − y1, −y1) … */
                    f8 e0[4] = {t0, t0 + t1, t0 - t1, -t1};
                    f8 e1[4] = {u0, u0 + u1, u0 - u1, -u1};
                    /* … and across the two lines. */
                    for (int j = 0; j < 4; j++) {
                        STORE_FIRST(out + j * position + tx, e0[j], n);
                        STORE_FIRST(out + (4 + j) * position + tx, e0[j] + e1[j], n);
                        STORE_FIRST(out + (8 + j) * position + tx, e0[j] - e1[j], n);
                        STORE_FIRST(out + (12 + j) * position + tx, -e1[j], n);
                    }
                }
            }
        }
    }
}

void zoo_winograd_weight(const float *g, int outputs, int inputs, float *u) {
    const long position = (long)outputs * inputs;
    for (long index = 0; index < position; index++) {
        const float *w = g + index * 9;
        /* G g: rows (g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2) of the 3×3 kernel … */
        float h[12];
        for (int b = 0; b < 3; b++) {
            h[b] = w[b];
            h[3 + b] = 0.5f * (w[b] + w[3 + b] + w[6 + b]);
            h[6 + b] = 0.5f * (w[b] - w[3 + b] + w[6 + b]);
            h[9 + b] = w[6 + b];
        }
        /* … then (G g) Gᵀ along each row. */
        for (int i = 0; i < 4; i++) {
            const float *r = h + 3 * i;
            u[(4 * i + 0) * position + index] = r[0];
            u[(4 * i + 1) * position + index] = 0.5f * (r[0] + r[1] + r[2]);
            u[(4 * i + 2) * position + index] = 0.5f * (r[0] - r[1] + r[2]);
            u[(4 * i + 3) * position + index] = r[2];
        }
    }
}

void zoo_winograd_weight_adjoint(const float *du, int outputs, int inputs, float *dg) {
    const long position = (long)outputs * inputs;
    for (long index = 0; index < position; index++) {
        float d[16];
        for (int k = 0; k < 16; k++) d[k] = du[k * position + index];
        /* Gᵀ dU: rows (d0 + (d1 + d2)/2, (d1 − d2)/2, (d1 + d2)/2 + d3) … */
        float h[12];
        for (int j = 0; j < 4; j++) {
            h[j] = d[j] + 0.5f * (d[4 + j] + d[8 + j]);
            h[4 + j] = 0.5f * (d[4 + j] - d[8 + j]);
            h[8 + j] = 0.5f * (d[4 + j] + d[8 + j]) + d[12 + j];
        }
        /* … then (Gᵀ dU) G along each row. */
        float *w = dg + index * 9;
        for (int a = 0; a < 3; a++) {
            const float *r = h + 4 * a;
            w[3 * a + 0] += r[0] + 0.5f * (r[1] + r[2]);
            w[3 * a + 1] += 0.5f * (r[1] - r[2]);
            w[3 * a + 2] += 0.5f * (r[1] + r[2]) + r[3];
        }
    }
}
