"""Writes the small data files under Tests/Fixtures/data that ZooData's readers are tested on.

IDX (raw and gzip), CIFAR-10 and CIFAR-100 binary, .npy, .npz (compressed) and CSV, all holding
the same 6 samples: image i has pixel values (i * 40 + k) % 256 at position k, label i % 3.
Run with NumPy installed: python make_data_fixtures.py
"""
import gzip
import os
import struct

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
os.makedirs(out, exist_ok=True)
n = 6
labels = np.array([i % 3 for i in range(n)], dtype=np.uint8)
small = np.array([[(i * 40 + k) % 256 for k in range(4 * 3)] for i in range(n)], dtype=np.uint8).reshape(n, 4, 3)

def idx(array, path, compress=False):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.tobytes()
    if compress:
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)

idx(small, os.path.join(out, "images-idx3-ubyte"))
idx(labels, os.path.join(out, "labels-idx1-ubyte"))
idx(small, os.path.join(out, "images-idx3-ubyte.gz"), compress=True)
idx(labels, os.path.join(out, "labels-idx1-ubyte.gz"), compress=True)

cifar = np.array([[(i * 40 + k) % 256 for k in range(3072)] for i in range(n)], dtype=np.uint8)
with open(os.path.join(out, "cifar10.bin"), "wb") as f:
    for i in range(n):
        f.write(bytes([labels[i]]) + cifar[i].tobytes())
with open(os.path.join(out, "cifar100.bin"), "wb") as f:
    for i in range(n):
        f.write(bytes([i % 2, 90 + i]) + cifar[i].tobytes())  # coarse, fine

np.save(os.path.join(out, "images.npy"), small)
np.save(os.path.join(out, "labels.npy"), labels.astype(np.int64))
np.savez_compressed(os.path.join(out, "data.npz"), images=small.astype(np.float32) / 255, labels=labels.astype(np.int64))

with open(os.path.join(out, "features.csv"), "w") as f:
    f.write("a,b,c,label\n")
    for i in range(n):
        f.write(f"{i * 0.5},{-i},{i * i},{labels[i]}\n")
print("wrote", os.path.normpath(out))
