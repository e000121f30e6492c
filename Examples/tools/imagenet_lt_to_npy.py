#!/usr/bin/env python3
"""Converts the images of an ImageNet-LT list file to the .npy shards that Zoo's `imagenet-lt-npy`
data format reads (needs Pillow and NumPy; Zoo's tests do not run it).

Each image named by the list (lines `PATH LABEL`, PATH relative to --root) is decoded as RGB,
resized so that its shorter side is --resize pixels (bilinear), and center-cropped to
--size x --size, as torchvision's Resize + CenterCrop do. The images are written in the list's
order to uint8 arrays [n, 3, size, size] (channels first), --shard-size images per file, named
after the list: ImageNet_LT_train.txt gives ImageNet_LT_train-00000.npy, ImageNet_LT_train-00001.npy,
... in --out, and the list file is copied there beside them, so that --out is the folder a recipe
names.

    python3 Examples/tools/imagenet_lt_to_npy.py --root /data/imagenet \
        --list ImageNet_LT_train.txt --list ImageNet_LT_test.txt --out data/ImageNet_LT --size 224

The ImageNet-LT lists name validation images as val/<wnid>/<file>.JPEG: the validation set must be
sorted into one folder per class first (as PyTorch's ImageNet example expects). At 224 pixels the
training set takes 17.4 GB (150,528 bytes an image), at 64 pixels 1.4 GB.
"""
import argparse
import multiprocessing
import os
import shutil

import numpy as np
from PIL import Image


def load(task):
    """One image as uint8 [3, size, size]: shorter side to `resize`, then the centre `size` square."""
    path, resize, size = task
    with Image.open(path) as image:
        image = image.convert("RGB")
        width, height = image.size
        scale = resize / min(width, height)
        width, height = max(size, round(width * scale)), max(size, round(height * scale))
        image = image.resize((width, height), Image.BILINEAR)
        left, top = int(round((width - size) / 2.0)), int(round((height - size) / 2.0))
        image = image.crop((left, top, left + size, top + size))
        return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


def read_list(path):
    """The (image path, label) pairs of a list file, refusing malformed lines with their number."""
    entries = []
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 2 or not fields[-1].lstrip("-").isdigit():
                raise SystemExit(f"{path}: line {number}: expected an image path and an integer label, found {line.strip()!r}")
            entries.append((" ".join(fields[:-1]), int(fields[-1])))
    return entries


def convert(list_path, root, out, size, resize, shard_size, workers):
    entries = read_list(list_path)
    stem = os.path.splitext(os.path.basename(list_path))[0]
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if old.startswith(stem + "-") and old.endswith(".npy"):
            os.remove(os.path.join(out, old))   # a shard left from an earlier run would be read too
    tasks = [(os.path.join(root, path), resize, size) for path, _ in entries]
    shard = np.empty((min(shard_size, len(tasks)), 3, size, size), dtype=np.uint8)
    filled, number = 0, 0

    def flush():
        nonlocal filled, number
        np.save(os.path.join(out, f"{stem}-{number:05d}.npy"), shard[:filled])
        filled, number = 0, number + 1

    with multiprocessing.Pool(workers) as pool:
        for index, image in enumerate(pool.imap(load, tasks, chunksize=64)):
            shard[filled] = image
            filled += 1
            if filled == len(shard):
                flush()
            if (index + 1) % 5000 == 0:
                print(f"{stem}: {index + 1}/{len(tasks)}", flush=True)
    if filled:
        flush()
    if os.path.abspath(list_path) != os.path.abspath(os.path.join(out, os.path.basename(list_path))):
        shutil.copy(list_path, out)
    print(f"{stem}: {len(tasks)} images in {number} shards of at most {shard_size} in {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help="the folder the list's paths are relative to (ImageNet 2012)")
    parser.add_argument("--list", action="append", required=True, help="a list file; repeat for train and test")
    parser.add_argument("--out", required=True, help="the folder for the shards and a copy of each list")
    parser.add_argument("--size", type=int, default=224, help="the side of the square crop (default 224)")
    parser.add_argument("--resize", type=int, help="the shorter side before cropping (default size * 256 / 224)")
    parser.add_argument("--shard-size", type=int, default=5000, help="images per .npy file (default 5000)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="decoding processes (default: every core)")
    arguments = parser.parse_args()
    resize = arguments.resize or round(arguments.size * 256 / 224)
    for list_path in arguments.list:
        convert(list_path, arguments.root, arguments.out, arguments.size, resize, arguments.shard_size, arguments.workers)


if __name__ == "__main__":
    main()
