"""Writes Tests/Fixtures/two_stream_sgd.safetensors: two-stream BatchFormer training, two SGD steps.

The recipe of the shared `two_stream_step.safetensors`, whose `param.*` entries turned out to hold
the parameters *after* the two steps (the same tensors as `after.step2.param.*`), so that its
step-1 values cannot be reproduced from it. Here the initial parameters are cloned before training.

Run with PyTorch and safetensors installed:  python make_two_stream_fixture.py
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(2026)
torch.use_deterministic_algorithms(True)
config = {"batch": 12, "classes": 5, "heads": 4, "hidden": 32, "in": 20, "lr": 0.05, "momentum": 0.9,
          "weight_decay": 0.0005}
B, C, H, I = config["batch"], config["classes"], config["hidden"], config["in"]


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential()
        self.backbone.add_module("fc1", torch.nn.Linear(I, H))
        self.backbone.add_module("relu1", torch.nn.ReLU())
        self.backbone.add_module("fc2", torch.nn.Linear(H, H))
        self.backbone.add_module("relu2", torch.nn.ReLU())
        self.relation = torch.nn.TransformerEncoderLayer(H, config["heads"], H, dropout=0.0)
        self.head = torch.nn.Linear(H, C)

    def forward(self, x, train=True):
        f = self.backbone(x)
        if not train:
            return self.head(f)
        related = self.relation(f.unsqueeze(1)).squeeze(1)  # the batch is one sequence
        return self.head(torch.cat([f, related], 0))


model = Model()
tensors = {f"param.{k}": v.detach().clone() for k, v in model.state_dict().items()}
optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"],
                            weight_decay=config["weight_decay"])
for step in ("step1", "step2"):
    x, y = torch.randn(B, I), torch.randint(0, C, (B,))
    tensors[f"input.{step}.x"], tensors[f"input.{step}.labels"] = x, y
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, torch.cat([y, y]))
    loss.backward()
    tensors[f"output.{step}.logits"] = logits.detach().clone()
    tensors[f"output.{step}.loss"] = loss.detach().reshape(1).clone()
    for name, p in model.named_parameters():
        tensors[f"grad.{step}.param.{name}"] = p.grad.detach().clone()
    optimizer.step()
for name, p in model.named_parameters():
    tensors[f"after.step2.param.{name}"] = p.detach().clone()
eval_x = torch.randn(B, I)
tensors["input.eval.x"] = eval_x
with torch.no_grad():
    tensors["output.eval.logits"] = model(eval_x, train=False).clone()

description = ("Two-stream BatchFormer training: f = backbone(x) (MLP in->hidden->hidden, ReLU after each); "
               "logits = head(cat([f, relation(f)], 0)) over 2B rows, relation = TransformerEncoderLayer("
               "hidden, heads, ffn=hidden, dropout 0, post-norm) over the batch as one sequence; cross-entropy "
               "(mean) against cat([y, y]); SGD (PyTorch semantics) two steps. param.* are the initial "
               "parameters; grad.<step>.* the gradients of that step; after.step2.* the parameters after both "
               "steps; output.eval.logits = head(backbone(input.eval.x)) after both steps.")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "two_stream_sgd.safetensors")
save_file(tensors, out, metadata={"description": description, "config": json.dumps(config, sort_keys=True),
                                  "generator": "Tests/Fixtures/scripts/make_two_stream_fixture.py",
                                  "torch": torch.__version__})
print("wrote", os.path.normpath(out), len(tensors), "tensors")
