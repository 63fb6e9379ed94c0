#!/usr/bin/python3
"""A localisation benchmark with exact ground truth, and a classifier for it.

Each 96×96 greyscale canvas holds one Fashion-MNIST item (20–40 px, random position) on clutter:
a random texture (blobs, stripes or checks), fragments of other items and pixel noise. The label
is the item's class; its box is the tight bounding box of the item's visible pixels, so
explanation methods can be scored on whether they point at the item (pointing game, energy in box).

A small CNN is trained on freshly generated canvases (from the Fashion-MNIST training split) and
tested on canvases made from the test split. Writes, relative to the repository root:
  assets/models/fashion-canvas-cnn/{model.onnx,neuromask.json,README.md}
  assets/benchmarks/fashion-canvas/{images/*.png,manifest.json,README.md}

Reproduce:  /usr/bin/python3 scripts/make-localisation-benchmark.py
(Debian's python3-torch, python3-onnx, python3-numpy, python3-pil; deterministic for a seed and thread count.)
"""

import argparse
import gzip
import hashlib
import json
import os
import struct
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

DATA_DIR = '/usr/share/datasets/fashion-mnist'
LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
SIZE = 96
MODEL_NAME = 'fashion-canvas-cnn'
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    _, _, ndim = struct.unpack('>HBB', data[:4])
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    x = read_idx(os.path.join(DATA_DIR, f'{split}-images-idx3-ubyte.gz'))
    y = read_idx(os.path.join(DATA_DIR, f'{split}-labels-idx1-ubyte.gz'))
    return x, y.astype(np.int64)


# ------------------------------------------------------------------------------------- canvases

def resize(u8, size):
    return np.asarray(Image.fromarray(u8).resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0


def texture(rng):
    """A faint background so that 'not black' does not mean 'the item'."""
    kind = rng.randint(3)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    if kind == 0:  # smooth blobs: coarse noise upsampled
        coarse = (rng.rand(6, 6) * 255).astype(np.uint8)
        t = np.asarray(Image.fromarray(coarse).resize((SIZE, SIZE), Image.BICUBIC), dtype=np.float32) / 255.0
    elif kind == 1:  # stripes at a random angle and period
        a, period = rng.rand() * np.pi, rng.uniform(6, 20)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(a) + yy * np.sin(a)) / period)
    else:  # checks
        c = rng.randint(6, 16)
        t = ((xx // c + yy // c) % 2).astype(np.float32)
    return np.clip(t, 0, 1) * rng.uniform(0.05, 0.3)


def paste(canvas, img, x, y):
    """Alpha from the item's own brightness: dark item pixels are see-through, bright ones cover."""
    h, w = img.shape
    alpha = np.clip(img * 4.0, 0.0, 1.0)
    region = canvas[y:y + h, x:x + w]
    canvas[y:y + h, x:x + w] = alpha * img + (1 - alpha) * region


def canvas(rng, images, labels, i):
    """One canvas around item i; returns (canvas float32 [96,96] in [0,1], box [x0,y0,x1,y1] inclusive)."""
    c = texture(rng)
    # Fragments: pieces of other items, too small to be an item, pasted before the item.
    for _ in range(rng.randint(2, 6)):
        j = rng.randint(len(images))
        fs = rng.randint(20, 36)
        frag = resize(images[j], fs)
        k = rng.randint(7, 15)
        oy, ox = rng.randint(0, fs - k), rng.randint(0, fs - k)
        piece = frag[oy:oy + k, ox:ox + k] * rng.uniform(0.5, 1.0)
        paste(c, piece, rng.randint(0, SIZE - k), rng.randint(0, SIZE - k))
    s = rng.randint(20, 41)
    item = resize(images[i], s)
    x, y = rng.randint(0, SIZE - s + 1), rng.randint(0, SIZE - s + 1)
    paste(c, item, x, y)
    c = c + rng.normal(0, rng.uniform(0.0, 0.04), c.shape).astype(np.float32)
    ys, xs = np.nonzero(item > 0.1)
    box = [int(x + xs.min()), int(y + ys.min()), int(x + xs.max()), int(y + ys.max())]
    return np.clip(c, 0, 1), box


def batch(rng, images, labels, idx):
    xs, boxes = zip(*(canvas(rng, images, labels, int(i)) for i in idx))
    # Round to 8 bits as a PNG would, so training sees what the benchmark files hold.
    x = np.round(np.stack(xs) * 255) / 255
    return torch.from_numpy(x[:, None].astype(np.float32)), torch.from_numpy(labels[idx]), list(boxes)


# ---------------------------------------------------------------------------------------- model

def block(i, o, k=3, stride=1):
    return [nn.Conv2d(i, o, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]


class CanvasCNN(nn.Module):
    """
    Five conv blocks down to 6×6 (receptive field 79 px), then a global max pool: the item may be
    anywhere. The first conv has stride 2: full-resolution feature maps cost most of the time on CPU.
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *block(1, 16, 5, 2), *block(16, 32), nn.MaxPool2d(2), *block(32, 48), nn.MaxPool2d(2),
            *block(48, 64), nn.MaxPool2d(2), *block(64, 96), nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.head = nn.Linear(96, 10)

    def forward(self, x):
        return self.head(self.features(x))


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return float((pred == y).float().mean()), pred


def write_png_grey(path, u8):
    h, w = u8.shape
    raw = b''.join(b'\x00' + u8[r].tobytes() for r in range(h))

    def chunk(tag, payload):
        return struct.pack('>I', len(payload)) + tag + payload + struct.pack('>I', zlib.crc32(tag + payload) & 0xffffffff)

    ihdr = struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=20240711)
    ap.add_argument('--steps', type=int, default=2000)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--test', type=int, default=2000, help='canvases for the reported test accuracy')
    ap.add_argument('--images', type=int, default=300, help='canvases written as the benchmark')
    ap.add_argument('--threads', type=int, default=1, help='1 is faster than 2 on a busy 2-core machine')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    xtr, ytr = load_split('train')
    xte, yte = load_split('t10k')

    model = CanvasCNN()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.15)
    # Test canvases come from the test split with their own seed: never seen in training.
    test_rng = np.random.RandomState(args.seed + 1)
    test_idx = test_rng.choice(len(xte), args.test + args.images, replace=False)
    xt, yt, _ = batch(test_rng, xte, yte, test_idx[:args.test])

    t0, run_loss = time.time(), 0.0
    for step in range(args.steps):
        model.train()
        xb, yb, _ = batch(rng, xtr, ytr, rng.randint(0, len(xtr), args.batch_size))
        loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        run_loss += loss.item()
        if (step + 1) % 200 == 0:
            acc, _ = accuracy(model, xt[:500], yt[:500])
            print(f'step {step + 1}/{args.steps} loss {run_loss / 200:.3f} acc(500) {acc:.3f} {time.time() - t0:.0f}s', flush=True)
            run_loss = 0.0
    train_s = time.time() - t0
    test_acc, _ = accuracy(model, xt, yt)
    print(f'TEST ACCURACY {test_acc:.4f} on {args.test} canvases (training {train_s:.0f}s)', flush=True)

    model_dir = os.path.join(ROOT, 'assets', 'models', MODEL_NAME)
    bench_dir = os.path.join(ROOT, 'assets', 'benchmarks', 'fashion-canvas')
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(os.path.join(bench_dir, 'images'), exist_ok=True)
    onnx_path = os.path.join(model_dir, 'model.onnx')
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, SIZE, SIZE), onnx_path, opset_version=13, do_constant_folding=True,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, training=torch.onnx.TrainingMode.EVAL)
    import onnx
    proto = onnx.load(onnx_path)
    onnx.checker.check_model(proto, full_check=True)
    ops = sorted({n.op_type for n in proto.graph.node})
    sha = hashlib.sha256(open(onnx_path, 'rb').read()).hexdigest()

    # The benchmark: canvases from test items not used for the accuracy above.
    xb, yb, boxes = batch(test_rng, xte, yte, test_idx[args.test:])
    bench_acc, pred = accuracy(model, xb, yb)
    entries = []
    for k in range(len(yb)):
        name = f'{k:03d}.png'
        write_png_grey(os.path.join(bench_dir, 'images', name), np.round(xb[k, 0].numpy() * 255).astype(np.uint8))
        entries.append({'file': f'images/{name}', 'target': int(yb[k]), 'boxes': [boxes[k]],
                        'predicted': int(pred[k])})
    with open(os.path.join(bench_dir, 'manifest.json'), 'w') as f:
        json.dump({'source': 'scripts/make-localisation-benchmark.py', 'seed': args.seed, 'images': entries}, f)
        f.write('\n')
    card = {'name': MODEL_NAME, 'preprocess': {'inputSize': [SIZE, SIZE], 'resize': 'stretch', 'channels': 'grey',
                                               'layout': 'nchw', 'mean': [0], 'std': [1]},
            'labels': LABELS, 'input': 'input', 'output': 'logits', 'outputKind': 'logits'}
    with open(os.path.join(model_dir, 'neuromask.json'), 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    with open(os.path.join(model_dir, 'README.md'), 'w') as f:
        f.write(README.format(acc=100 * test_acc, n=args.test, bench_acc=100 * bench_acc, m=len(yb), params=n_params,
                              size=os.path.getsize(onnx_path), sha=sha, ops=', '.join(ops), steps=args.steps,
                              bs=args.batch_size, lr=args.lr, seed=args.seed, train_s=train_s, threads=args.threads,
                              torch=torch.__version__))
    with open(os.path.join(bench_dir, 'README.md'), 'w') as f:
        f.write(BENCH_README.format(m=len(yb), bench_acc=100 * bench_acc))
    print(f'benchmark: {len(yb)} canvases, model accuracy {bench_acc:.4f}; ONNX ops {ops}; wrote {model_dir}, {bench_dir}')


README = """# fashion-canvas-cnn

A small CNN that classifies the one Fashion-MNIST item placed somewhere on a cluttered 96×96 greyscale
canvas: the classifier of the localisation benchmark `assets/benchmarks/fashion-canvas/`.

| | |
|---|---|
| Test accuracy ({n} canvases from the Fashion-MNIST test split) | **{acc:.2f}%** |
| Accuracy on the {m} benchmark canvases | {bench_acc:.2f}% |
| Parameters | {params:,} |
| `model.onnx` | {size:,} bytes, sha256 `{sha}`, opset 13; ops: {ops} |
| Input | `input`, float32 `[N,1,96,96]`, pixels in [0, 1] (byte / 255) |
| Output | `logits`, float32 `[N,10]` |

Architecture: Conv 5×5 stride 2 (16 channels), then Conv 3×3 blocks of 32, 48, 64, 96 channels with 2×2
max pools between them (each conv + BN + ReLU), a global max pool (the item may be anywhere),
Linear(96→10). BatchNorm is folded at export.

Made by `scripts/make-localisation-benchmark.py`: {steps} steps of batch {bs} of freshly generated canvases
(items from the Fashion-MNIST training split), AdamW, one-cycle lr (max {lr}), label smoothing 0.05,
seed {seed}, {threads} CPU thread(s), {train_s:.0f} s wall-clock on a shared 2-core machine (torch {torch}). Canvases: a faint random texture (blobs,
stripes or checks), 2–5 fragments (7–14 px pieces) of other items, the item scaled to 20–40 px at a
random position, Gaussian pixel noise (σ ≤ 0.04), rounded to 8 bits.

```sh
/usr/bin/python3 scripts/make-localisation-benchmark.py
```

Fashion-MNIST is © Zalando SE, MIT licence (https://github.com/zalandoresearch/fashion-mnist).
"""

BENCH_README = """# fashion-canvas: a localisation benchmark with exact boxes

{m} greyscale 96×96 canvases, each with one Fashion-MNIST test item (20–40 px, random position) on clutter
(texture, fragments of other items, noise). `manifest.json` lists per image its `file`, `target` (the
item's class) and `boxes` (one box `[x0, y0, x1, y1]`, inclusive, the tight box of the item's pixels
brighter than 0.1), plus `predicted` (what `fashion-canvas-cnn` says; it is right on {bench_acc:.1f}%).

```sh
neuromask evaluate assets/benchmarks/fashion-canvas/manifest.json \\
  --model assets/models/fashion-canvas-cnn/model.onnx --methods neuromask
```

Made by `scripts/make-localisation-benchmark.py` (Fashion-MNIST © Zalando SE, MIT licence).
"""

if __name__ == '__main__':
    main()
