"""Writes Tests/Fixtures/class_balanced.safetensors: losses with effective-number class weights.

Class-balanced weights (Cui et al., CVPR 2019): w_j = (1 - beta) / (1 - beta^n_j) for a class with
n_j training samples, normalised so that the C weights sum to C, then used as the class weights of
F.cross_entropy (PyTorch's `weight=`: the mean over the batch is weighted by the labels' weights,
sum_i w_{y_i} l_i / sum_i w_{y_i}).

Cases (all on the same input.logits [B, C], input.labels [B], input.class_counts [C], counts with the
exponential long-tail profile of ratio 100):

- `class_balanced_beta0.9999`, `class_balanced_beta0.99`: CE(z, y, weight = w(beta));
- `ldam_drw_m0.5_s30`: LDAM with deferred re-weighting in its re-weighting phase (Cao et al., 2019):
  CE(s * (z - m_y onehot), y, weight = w(0.9999)), m_j proportional to n_j^(-1/4) with max m_j = 0.5,
  s = 30.

Outputs `output.<case>` [1] and `grad.<case>.logits` = d loss / d logits.

Run with PyTorch and safetensors installed:  python make_class_balanced_fixture.py
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(2031)
torch.use_deterministic_algorithms(True)
config = {"batch": 32, "classes": 10, "ratio": 100, "n_max": 500, "betas": [0.9999, 0.99],
          "ldam": {"max_margin": 0.5, "scale": 30, "drw_beta": 0.9999}}
B, C = config["batch"], config["classes"]
counts = torch.tensor([float(int(config["n_max"] * config["ratio"] ** (-i / (C - 1)))) for i in range(C)])
logits = torch.randn(B, C) * 2
labels = torch.randint(0, C, (B,), dtype=torch.int64)


def class_weights(beta):
    w = (1 - beta) / (1 - torch.pow(torch.tensor(beta, dtype=torch.float64), counts.double()))
    return (w / w.sum() * C).float()


def case(name, loss_of):
    z = logits.clone().requires_grad_(True)
    value = loss_of(z)
    value.backward()
    return {f"output.{name}": value.detach().reshape(1), f"grad.{name}.logits": z.grad.detach().clone()}


tensors = {"input.logits": logits, "input.labels": labels, "input.class_counts": counts}
for beta in config["betas"]:
    tensors.update(case(f"class_balanced_beta{beta}", lambda z, b=beta: F.cross_entropy(z, labels, weight=class_weights(b))))
margins = counts.pow(-0.25)
margins = margins * (config["ldam"]["max_margin"] / margins.max())
scale = config["ldam"]["scale"]
tensors.update(case("ldam_drw_m0.5_s30", lambda z: F.cross_entropy(
    scale * (z - margins[labels].unsqueeze(1) * F.one_hot(labels, C)), labels,
    weight=class_weights(config["ldam"]["drw_beta"]))))

description = (
    "Class-balanced losses on input.logits[B,C], input.labels[B], input.class_counts[C] (exponential profile, "
    "ratio 100). w_j = (1-beta)/(1-beta^n_j) normalised to sum to C, used as F.cross_entropy weight= (weighted mean "
    "over the batch). class_balanced_beta<beta> = CE(z, y, weight=w(beta)); ldam_drw_m0.5_s30 = CE(30*(z - m_y onehot), "
    "y, weight=w(0.9999)), m_j proportional to n_j^(-1/4), max m_j = 0.5 (LDAM in its deferred re-weighting phase). "
    "grad.<case>.logits = d loss / d logits.")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "class_balanced.safetensors")
save_file({k: v.contiguous() for k, v in tensors.items()}, out,
          metadata={"description": description, "config": json.dumps(config),
                    "generator": "Tests/Fixtures/scripts/make_class_balanced_fixture.py", "torch": torch.__version__})
print("wrote", os.path.normpath(out))
