"""Writes Tests/Fixtures/transformer_variants.safetensors: transformer layers beyond BatchFormer's setting.

Three cases, each under its own prefix (`<case>.input.x`, `<case>.param.<key>`, ...):

- `prenorm_gelu`: nn.TransformerEncoderLayer, pre-norm (norm_first), GELU, batch_first, x [N, L, E];
- `postnorm_relu`: nn.TransformerEncoderLayer, post-norm, ReLU, sequence first, x [L, N, E];
- `mha`: nn.MultiheadAttention alone, self-attention (q = k = v = x), sequence first, x [L, N, E].

Parameters start from PyTorch's default initialisation; then every bias and every LayerNorm weight
gets small Gaussian noise, so that none is exactly 0 or 1 and a swapped or ignored parameter shows.
The objective is sum(output * upstream) with a random `upstream` saved as an input.

Run with PyTorch and safetensors installed:  python make_transformer_variants_fixture.py
"""
import json
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(2027)
torch.use_deterministic_algorithms(True)
config = {
    "prenorm_gelu": {"d_model": 24, "nhead": 3, "dim_feedforward": 40, "dropout": 0.0, "activation": "gelu",
                     "norm_first": True, "batch_first": True, "x_shape": [5, 7, 24]},
    "postnorm_relu": {"d_model": 16, "nhead": 2, "dim_feedforward": 20, "dropout": 0.0, "activation": "relu",
                      "norm_first": False, "batch_first": False, "x_shape": [6, 3, 16]},
    "mha": {"embed_dim": 12, "num_heads": 4, "dropout": 0.0, "batch_first": False, "x_shape": [5, 2, 12]},
    "noise_std": 0.1,
}


def perturb(module):
    """Adds N(0, noise_std²) to every bias and every LayerNorm weight."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias") or (name.startswith("norm") and name.endswith("weight")):
                p.add_(config["noise_std"] * torch.randn_like(p))


def run(case, module, forward):
    """Forward, then backward of sum(output * upstream); returns the case's tensors."""
    module.train()   # dropout is 0; training mode keeps PyTorch off its inference fast path
    perturb(module)
    tensors = {f"{case}.param.{k}": v.detach().clone() for k, v in module.state_dict().items()}
    x = torch.randn(*config[case]["x_shape"], requires_grad=True)
    y = forward(x)
    upstream = torch.randn_like(y)
    (y * upstream).sum().backward()
    tensors[f"{case}.input.x"] = x.detach().clone()
    tensors[f"{case}.input.upstream"] = upstream
    tensors[f"{case}.output.y"] = y.detach().clone()
    tensors[f"{case}.grad.input.x"] = x.grad.detach().clone()
    for name, p in module.named_parameters():
        tensors[f"{case}.grad.param.{name}"] = p.grad.detach().clone()
    return tensors


def encoder_layer(case):
    c = config[case]
    return torch.nn.TransformerEncoderLayer(c["d_model"], c["nhead"], dim_feedforward=c["dim_feedforward"],
                                            dropout=c["dropout"], activation=c["activation"],
                                            norm_first=c["norm_first"], batch_first=c["batch_first"])


tensors = {}
for case in ("prenorm_gelu", "postnorm_relu"):
    layer = encoder_layer(case)
    tensors.update(run(case, layer, layer))
attention = torch.nn.MultiheadAttention(config["mha"]["embed_dim"], config["mha"]["num_heads"],
                                        dropout=config["mha"]["dropout"], batch_first=config["mha"]["batch_first"])
tensors.update(run("mha", attention, lambda x: attention(x, x, x, need_weights=False)[0]))

description = (
    "Three cases, each under its own prefix <case>.; per case: input.x, input.upstream, param.<state_dict key>, "
    "output.y, grad.input.x, grad.param.<key>, gradients of sum(output.y * input.upstream). "
    "prenorm_gelu: y = TransformerEncoderLayer(d_model 24, nhead 3, dim_feedforward 40, dropout 0, gelu (exact), "
    "norm_first, batch_first)(x), x [N 5, L 7, 24]. "
    "postnorm_relu: y = TransformerEncoderLayer(d_model 16, nhead 2, dim_feedforward 20, dropout 0, relu, post-norm, "
    "sequence first)(x), x [L 6, N 3, 16]. "
    "mha: y = MultiheadAttention(embed 12, 4 heads, dropout 0, sequence first)(x, x, x, need_weights=False)[0], "
    "x [L 5, N 2, 12]. Parameters: PyTorch defaults, then N(0, 0.1^2) noise added to every bias and every "
    "LayerNorm weight; modules in training mode (no fast path), no masks.")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "transformer_variants.safetensors")
save_file(tensors, out, metadata={"description": description, "config": json.dumps(config, sort_keys=True),
                                  "generator": "Tests/Fixtures/scripts/make_transformer_variants_fixture.py",
                                  "torch": torch.__version__})
print("wrote", os.path.normpath(out), len(tensors), "tensors,", os.path.getsize(out), "bytes")
