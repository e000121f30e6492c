#!/usr/bin/env python3
"""Writes Tests/Fixtures/optim.safetensors: PyTorch's optimisers and learning-rate schedulers
on small fixed inputs, the reference for the ZooOptim parity tests.

Run from the package root with a Python that has torch and safetensors:

    python Tests/Fixtures/scripts/make_optim_fixture.py

Tensor names:

    input.param.<i>                  initial value of parameter i (shapes [7, 5], [5], [3, 1, 2])
    input.grad.<s>.<i>               gradient of parameter i at step s (s = 0..3)
    after.<case>.<s>.<i>             parameter i after step s of optimiser case <case>
    output.lr.<schedule>             float32 [12]: the learning rate after 0, 1, ..., 11 calls of
                                     scheduler.step() (base learning rate 0.1)
    input.clip.grad.<i>              gradients given to clip_grad_norm_(max_norm=1.0)
    after.clip.grad.<i>              those gradients after clipping
    output.clip.total_norm           float32 [1]: the total norm it returned

Every optimiser case starts from input.param.* and sees the same gradients; the `skip` cases
give parameter 1 no gradient (grad = None) at steps 0 and 2, so its state is created at step 1
and it is left untouched at step 2. The header's __metadata__ holds the configuration as JSON.

Reruns give bit-identical tensors; only the order of the __metadata__ keys in the header may
differ (safetensors writes them from a hash map).
"""

import json
import math
import pathlib

import torch
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "Tests" / "Fixtures" / "optim.safetensors"

SHAPES = [[7, 5], [5], [3, 1, 2]]
STEPS = 4
# Gradients shrink over the steps so that AMSGrad's running maximum differs from the plain
# second moment (v decreases once g^2 falls below it).
GRAD_SCALES = [1.0, 0.3, 0.01, 0.02]
SKIP = {"parameter": 1, "steps": [0, 2]}
SCHEDULE_BASE_LR = 0.1
SCHEDULE_STEPS = 12

# name -> (optimiser class, groups description, keyword arguments, skip)
# groups: None = one group with every parameter; otherwise a list of
# (parameter indices, learning-rate multiplier, weight decay or None for the default).
CASES = {
    "sgd": (torch.optim.SGD, None, dict(lr=0.1), False),
    "sgd_momentum": (
        torch.optim.SGD, None,
        dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=5e-4), False),
    "sgd_nesterov": (
        torch.optim.SGD, None,
        dict(lr=0.05, momentum=0.9, weight_decay=1e-4, nesterov=True), False),
    "adamw": (torch.optim.AdamW, None, dict(), False),
    "adamw_amsgrad": (
        torch.optim.AdamW, None, dict(lr=3e-3, weight_decay=0.05, amsgrad=True), False),
    "sgd_groups": (
        torch.optim.SGD, [([0, 2], 1.0, None), ([1], 0.1, 0.0)],
        dict(lr=0.1, momentum=0.9, weight_decay=1e-3), False),
    "adamw_groups": (
        torch.optim.AdamW, [([0, 2], 1.0, None), ([1], 0.1, 0.0)],
        dict(lr=1e-2, weight_decay=0.1), False),
    "sgd_skip": (
        torch.optim.SGD, None, dict(lr=0.05, momentum=0.9, weight_decay=1e-3), True),
    "adamw_skip": (torch.optim.AdamW, None, dict(lr=1e-2), True),
}


def make_groups(params, groups, lr):
    if groups is None:
        return params
    result = []
    for indices, multiplier, weight_decay in groups:
        group = {"params": [params[i] for i in indices], "lr": lr * multiplier}
        if weight_decay is not None:
            group["weight_decay"] = weight_decay
        result.append(group)
    return result


def run_case(name, initial, grads, tensors):
    cls, groups, kwargs, skip = CASES[name]
    params = [p.clone().requires_grad_(True) for p in initial]
    lr = kwargs.get("lr", 1e-3)
    opt = cls(make_groups(params, groups, lr), **kwargs)
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        for i, p in enumerate(params):
            if skip and i == SKIP["parameter"] and step in SKIP["steps"]:
                continue
            p.grad = grads[step][i].clone()
        opt.step()
        for i, p in enumerate(params):
            tensors[f"after.{name}.{step}.{i}"] = p.detach().clone()


def schedule_lrs(make_scheduler):
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=SCHEDULE_BASE_LR)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(SCHEDULE_STEPS):
        lrs.append(scheduler.get_last_lr()[0])
        opt.step()
        scheduler.step()
    return lrs


SCHEDULES = {
    "step": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.1),
    "cosine": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "warmup_cosine": lambda o: torch.optim.lr_scheduler.SequentialLR(
        o,
        schedulers=[
            torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
            torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8),
        ],
        milestones=[3],
    ),
}


def main():
    torch.manual_seed(20240917)
    torch.use_deterministic_algorithms(True)
    tensors = {}

    initial = [torch.randn(shape) for shape in SHAPES]
    grads = [[torch.randn(shape) * GRAD_SCALES[s] for shape in SHAPES] for s in range(STEPS)]
    for i, p in enumerate(initial):
        tensors[f"input.param.{i}"] = p
    for s in range(STEPS):
        for i, g in enumerate(grads[s]):
            tensors[f"input.grad.{s}.{i}"] = g

    for name in CASES:
        run_case(name, initial, grads, tensors)

    schedule_values = {}
    for name, make in SCHEDULES.items():
        lrs = schedule_lrs(make)
        schedule_values[name] = lrs
        tensors[f"output.lr.{name}"] = torch.tensor(lrs, dtype=torch.float32)

    clip_params = [torch.zeros(shape, requires_grad=True) for shape in SHAPES]
    for i, p in enumerate(clip_params):
        p.grad = grads[0][i].clone()
        tensors[f"input.clip.grad.{i}"] = p.grad.clone()
    total = torch.nn.utils.clip_grad_norm_(clip_params, max_norm=1.0)
    for i, p in enumerate(clip_params):
        tensors[f"after.clip.grad.{i}"] = p.grad.clone()
    tensors["output.clip.total_norm"] = total.reshape(1).to(torch.float32)

    config = {
        "shapes": SHAPES,
        "steps": STEPS,
        "grad_scales": GRAD_SCALES,
        "skip": SKIP,
        "cases": {
            name: {
                "optimizer": cls.__name__,
                "kwargs": kwargs,
                "groups": None if groups is None else [
                    {"parameters": idx, "lr_multiplier": mult, "weight_decay": wd}
                    for idx, mult, wd in groups
                ],
                "skip": skip,
            }
            for name, (cls, groups, kwargs, skip) in CASES.items()
        },
        "schedules": {
            "base_lr": SCHEDULE_BASE_LR,
            "steps": SCHEDULE_STEPS,
            "step": "StepLR(step_size=3, gamma=0.5)",
            "multistep": "MultiStepLR(milestones=[2, 5, 9], gamma=0.1)",
            "cosine": "CosineAnnealingLR(T_max=10, eta_min=0.001)",
            "warmup_cosine": "SequentialLR([LinearLR(start_factor=0.1, total_iters=3), "
                             "CosineAnnealingLR(T_max=8)], milestones=[3])",
            "values_float64": schedule_values,
        },
        "clip": {"max_norm": 1.0, "gradients": "input.grad.0.*"},
    }
    metadata = {
        "description": (
            "torch.optim SGD (plain, momentum+dampening+weight decay, Nesterov) and AdamW "
            "(default, AMSGrad) on three parameters of shapes [7,5], [5], [3,1,2] for four "
            "steps of fixed gradients (CPU, float32, single-tensor loops); two-group cases with "
            "a 0.1 learning-rate multiplier and a no-decay group; cases where parameter 1 has "
            "no gradient at steps 0 and 2; the learning rate after 0..11 scheduler steps of "
            "StepLR, MultiStepLR, CosineAnnealingLR and LinearLR->CosineAnnealingLR via "
            "SequentialLR (base lr 0.1); clip_grad_norm_(max_norm=1) of the step-0 gradients."
        ),
        "generator": "Tests/Fixtures/scripts/make_optim_fixture.py",
        "torch": torch.__version__,
        "config": json.dumps(config, sort_keys=True),
    }
    tensors = {k: v.contiguous() for k, v in sorted(tensors.items())}
    save_file(tensors, str(OUT), metadata=metadata)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(tensors)} tensors)")
    for name, lrs in schedule_values.items():
        print(name, ["%.6g" % x for x in lrs])
    assert all(math.isfinite(x) for lrs in schedule_values.values() for x in lrs)


if __name__ == "__main__":
    main()
