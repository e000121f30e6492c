/* Plain C element-wise kernels, with no knowledge of Zoo, that tests wrap as modules through libffi.
 * mode 0: leaky ReLU with slope alpha below zero; mode 1: alpha * x * x. */
#include <stdbool.h>
#include <stdint.h>

void leaky(const float *in, float *out, int64_t n, float alpha, int32_t mode) {
    for (int64_t i = 0; i < n; i++)
        out[i] = mode == 1 ? alpha * in[i] * in[i] : (in[i] > 0 ? in[i] : alpha * in[i]);
}

void leaky_grad(const float *in, const float *grad_out, float *grad_in, int64_t n, float alpha, int32_t mode) {
    for (int64_t i = 0; i < n; i++)
        grad_in[i] = grad_out[i] * (mode == 1 ? 2 * alpha * in[i] : (in[i] > 0 ? 1 : alpha));
}

/* Every supported scalar type, for the argument-conversion test: out = in * scale + offset (+1 if flag). */
void affine(const float *in, float *out, int64_t n, double scale, int64_t offset, bool flag) {
    for (int64_t i = 0; i < n; i++) out[i] = (float)(in[i] * scale) + (float)offset + (flag ? 1.0f : 0.0f);
}
