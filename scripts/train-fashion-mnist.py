#!/usr/bin/python3
"""Train neuromask's embedded default model: a small CNN on Fashion-MNIST.

Deterministic for a given --seed (single process, fixed thread count, seeded shuffling and init).
No network access: the data is read from the Debian package dataset-fashion-mnist
(/usr/share/datasets/fashion-mnist/*.gz, IDX format, parsed here with gzip + numpy).

Model contract: input `input` float32 [N,1,28,28], pixels = PNG byte / 255 in [0, 1], no
normalisation (the model card says mean [0], std [1]); output `logits` float32 [N,10], raw logits.

Writes (relative to the repository root unless --out-root is given):
  assets/models/fashion-mnist-cnn/{model.onnx,neuromask.json,README.md}
  assets/images/fashion/{<label>-<name>.png,INDEX.json,README.md}
  test/fixtures/fashion-logits.json

Reproduce:  /usr/bin/python3 scripts/train-fashion-mnist.py
(Debian's python3-torch and python3-onnx are needed; PIL is optional, PNGs are written with zlib.)
"""

import argparse
import gzip
import hashlib
import json
import os
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = '/usr/share/datasets/fashion-mnist'
LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
SLUGS = ['tshirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot']
MODEL_NAME = 'fashion-mnist-cnn'
OPSET = 13


# ----------------------------------------------------------------------------------------- data

def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f'{path}: size mismatch')
    return arr.reshape(dims)


def load_split(split):
    x = read_idx(os.path.join(DATA_DIR, f'{split}-images-idx3-ubyte.gz'))
    y = read_idx(os.path.join(DATA_DIR, f'{split}-labels-idx1-ubyte.gz'))
    return x, y.astype(np.int64)


def to_input(u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1]: the model's input convention (byte / 255)."""
    return torch.from_numpy(u8.astype(np.float32)[:, None, :, :] / np.float32(255.0))


# ---------------------------------------------------------------------------------------- model

class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128), nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@torch.no_grad()
def predict_logits(model, x, batch=1000):
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


# ------------------------------------------------------------------ independent ONNX evaluation

def _conv2d_np(x, w, b, pads, strides, dilations, group):
    if group != 1 or any(s != 1 for s in strides) or any(d != 1 for d in dilations):
        raise NotImplementedError('numpy Conv: only group=1, stride=1, dilation=1')
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    out = np.zeros((n, o, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + oh, j:j + ow]  # n,c,oh,ow
            out += np.einsum('nchw,oc->nohw', patch, w[:, :, i, j], optimize=True)
    if b is not None:
        out += b[None, :, None, None]
    return out


def _maxpool_np(x, kernel, strides, pads):
    if any(pads) or list(kernel) != [2, 2] or list(strides) != [2, 2]:
        raise NotImplementedError('numpy MaxPool: only 2x2 stride 2 without padding')
    n, c, h, w = x.shape
    x = x[:, :, :h // 2 * 2, :w // 2 * 2]
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def run_onnx_numpy(model_proto, x):
    """Evaluate the exported graph with numpy (float64): a check that does not use torch."""
    from onnx import numpy_helper
    g = model_proto.graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == 'f'
           else numpy_helper.to_array(t) for t in g.initializer}
    env[g.input[0].name] = x.astype(np.float64)
    for node in g.node:
        a = {at.name: at for at in node.attribute}

        def ints(name, default):
            return list(a[name].ints) if name in a else default

        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == 'Conv':
            k = ins[1].shape[2:]
            y = _conv2d_np(ins[0], ins[1], ins[2] if len(ins) > 2 else None, ints('pads', [0, 0, 0, 0]),
                           ints('strides', [1, 1]), ints('dilations', [1, 1]), a['group'].i if 'group' in a else 1)
            assert list(k) == ints('kernel_shape', list(k))
        elif op == 'Relu':
            y = np.maximum(ins[0], 0)
        elif op == 'MaxPool':
            y = _maxpool_np(ins[0], ints('kernel_shape', None), ints('strides', [1, 1]), ints('pads', [0, 0, 0, 0]))
        elif op == 'Flatten':
            axis = a['axis'].i if 'axis' in a else 1
            y = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == 'Reshape':
            y = ins[0].reshape([d if d != 0 else ins[0].shape[i] for i, d in enumerate(ins[1].tolist())])
        elif op == 'Gemm':
            A, B = ins[0], ins[1]
            if 'transA' in a and a['transA'].i:
                A = A.T
            if 'transB' in a and a['transB'].i:
                B = B.T
            alpha = a['alpha'].f if 'alpha' in a else 1.0
            beta = a['beta'].f if 'beta' in a else 1.0
            y = alpha * (A @ B) + (beta * ins[2] if len(ins) > 2 and ins[2] is not None else 0)
        elif op == 'Identity':
            y = ins[0]
        else:
            raise NotImplementedError(f'numpy ONNX evaluator: op {op}')
        env[node.output[0]] = y
    return env[g.output[0].name]


# ------------------------------------------------------------------------------------------ png

def write_png_grey(path, img_u8):
    """8-bit greyscale PNG written with zlib (deterministic bytes, no PIL needed)."""
    h, w = img_u8.shape
    raw = b''.join(b'\x00' + img_u8[r].tobytes() for r in range(h))

    def chunk(tag, payload):
        return struct.pack('>I', len(payload)) + tag + payload + struct.pack('>I', zlib.crc32(tag + payload) & 0xffffffff)

    ihdr = struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)  # bit depth 8, colour type 0 (greyscale)
    data = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
    with open(path, 'wb') as f:
        f.write(data)


# ----------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=20240601)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--batch-size', type=int, default=128)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max-steps', type=int, default=0, help='stop after this many steps (smoke tests only)')
    ap.add_argument('--out-root', default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')))
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.RandomState(args.seed)

    xtr_u8, ytr = load_split('train')
    xte_u8, yte = load_split('t10k')
    xtr, xte = to_input(xtr_u8), to_input(xte_u8)
    ytr_t = torch.from_numpy(ytr)
    print(f'train {tuple(xtr.shape)}  test {tuple(xte.shape)}', flush=True)

    model = FashionCNN()
    n_params = sum(p.numel() for p in model.parameters())
    print(f'parameters: {n_params}', flush=True)

    steps_per_epoch = (len(xtr) + args.batch_size - 1) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total_steps, pct_start=0.2)

    t0 = time.time()
    step = 0
    for epoch in range(args.epochs):
        model.train()
        perm = torch.from_numpy(rng.permutation(len(xtr)))
        # Random horizontal flips (clothes are left/right symmetric), seeded.
        flip = torch.from_numpy(rng.rand(len(xtr)) < 0.5)
        run_loss, seen = 0.0, 0
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch_size:(i + 1) * args.batch_size]
            xb, yb = xtr[idx], ytr_t[idx]
            fb = flip[idx]
            xb = torch.where(fb[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            run_loss += loss.item() * len(idx)
            seen += len(idx)
            step += 1
            if args.max_steps and step >= args.max_steps:
                break
        acc = (predict_logits(model, xte).argmax(1).numpy() == yte).mean()
        print(f'epoch {epoch + 1}/{args.epochs}  loss {run_loss / seen:.4f}  test acc {acc:.4f}  '
              f'elapsed {time.time() - t0:.0f}s', flush=True)
        if args.max_steps and step >= args.max_steps:
            break
    train_s = time.time() - t0

    model.eval()
    logits_te = predict_logits(model, xte)
    pred = logits_te.argmax(1).numpy()
    test_acc = float((pred == yte).mean())
    per_class = [float((pred[yte == c] == c).mean()) for c in range(10)]
    print(f'TEST ACCURACY {test_acc:.4f}  (training {train_s:.0f}s)')
    for c in range(10):
        print(f'  {c} {LABELS[c]:<12} {per_class[c]:.4f}')

    # ---------------------------------------------------------------------------- ONNX export
    import onnx
    model_dir = os.path.join(args.out_root, 'assets', 'models', MODEL_NAME)
    img_dir = os.path.join(args.out_root, 'assets', 'images', 'fashion')
    fix_dir = os.path.join(args.out_root, 'test', 'fixtures')
    for d in (model_dir, img_dir, fix_dir):
        os.makedirs(d, exist_ok=True)
    onnx_path = os.path.join(model_dir, 'model.onnx')
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), onnx_path,
        export_params=True, opset_version=OPSET, do_constant_folding=True,
        input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}},
        training=torch.onnx.TrainingMode.EVAL,
    )
    proto = onnx.load(onnx_path)
    onnx.checker.check_model(proto, full_check=True)
    ops = sorted({n.op_type for n in proto.graph.node})
    size = os.path.getsize(onnx_path)
    sha = hashlib.sha256(open(onnx_path, 'rb').read()).hexdigest()
    print(f'ONNX {onnx_path}: {size} bytes, ops {ops}, sha256 {sha}')
    if size > 2 * 1024 * 1024:
        raise SystemExit('model file is over 2 MB')

    # ---------------------------------------------------------------- example images + fixture
    probs_te = torch.softmax(logits_te, 1).numpy()
    chosen = []
    for c in range(10):
        ok = np.nonzero((yte == c) & (pred == c))[0]
        # First test-set image of this class that the model gets right with p >= 0.99
        # (fall back to the most confident one).
        good = ok[probs_te[ok, c] >= 0.99]
        i = int(good[0]) if len(good) else int(ok[np.argmax(probs_te[ok, c])])
        chosen.append(i)
    sel_u8 = xte_u8[chosen]
    sel_x = to_input(sel_u8)
    with torch.no_grad():
        sel_logits = model(sel_x).numpy().astype(np.float32)
    sel_probs = torch.softmax(torch.from_numpy(sel_logits), 1).numpy()

    onnx_np = run_onnx_numpy(proto, sel_x.numpy())
    max_diff = float(np.abs(onnx_np - sel_logits).max())
    print(f'numpy evaluation of the ONNX graph vs torch logits: max |diff| = {max_diff:.2e}')
    if max_diff > 1e-3:
        raise SystemExit('exported graph disagrees with torch')

    index = []
    for k, i in enumerate(chosen):
        c = int(yte[i])
        fname = f'{c}-{SLUGS[c]}.png'
        write_png_grey(os.path.join(img_dir, fname), sel_u8[k])
        index.append({'file': fname, 'testIndex': i, 'label': c, 'labelName': LABELS[c],
                      'probability': round(float(sel_probs[k, c]), 6)})
    with open(os.path.join(img_dir, 'INDEX.json'), 'w') as f:
        json.dump({'source': 'Fashion-MNIST test set (t10k), Debian package dataset-fashion-mnist',
                   'licence': 'MIT, Zalando Research',
                   'model': MODEL_NAME, 'images': index}, f, indent=2)
        f.write('\n')
    with open(os.path.join(img_dir, 'README.md'), 'w') as f:
        f.write(IMAGES_README.format(rows='\n'.join(
            f"| `{e['file']}` | {e['testIndex']} | {e['label']} | {e['labelName']} | {e['probability']:.4f} |"
            for e in index)))

    fixture = {
        'model': f'assets/models/{MODEL_NAME}/model.onnx',
        'modelSha256': sha,
        'input': 'input', 'output': 'logits',
        'inputConvention': 'float32 NCHW [1,1,28,28]; pixel = PNG byte / 255 (no mean/std: the card has mean [0], std [1])',
        'tolerance': 1e-3,
        'producedBy': f'torch {torch.__version__}, model in eval mode (scripts/train-fashion-mnist.py --seed {args.seed})',
        'images': [{'file': f'assets/images/fashion/{e["file"]}', 'testIndex': e['testIndex'], 'label': e['label'],
                    'logits': [float(v) for v in sel_logits[k]]} for k, e in enumerate(index)],
    }
    with open(os.path.join(fix_dir, 'fashion-logits.json'), 'w') as f:
        json.dump(fixture, f, indent=2)
        f.write('\n')

    card = {
        'name': MODEL_NAME,
        'preprocess': {'inputSize': [28, 28], 'resize': 'stretch', 'channels': 'grey', 'layout': 'nchw',
                       'mean': [0], 'std': [1]},
        'labels': LABELS, 'input': 'input', 'output': 'logits', 'outputKind': 'logits',
    }
    with open(os.path.join(model_dir, 'neuromask.json'), 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')

    with open(os.path.join(model_dir, 'README.md'), 'w') as f:
        f.write(MODEL_README.format(
            acc=test_acc * 100, n_params=n_params, size=size, size_kib=size / 1024, sha=sha, ops=', '.join(ops),
            seed=args.seed, epochs=args.epochs, bs=args.batch_size, lr=args.lr, train_s=train_s,
            threads=args.threads, torch=torch.__version__, onnx=onnx.__version__, diff=max_diff,
            per_class='\n'.join(f'| {c} | {LABELS[c]} | {per_class[c] * 100:.1f}% |' for c in range(10))))
    print('wrote', model_dir, img_dir, os.path.join(fix_dir, 'fashion-logits.json'))


MODEL_README = """# fashion-mnist-cnn

neuromask's embedded default classifier: a small CNN trained on Fashion-MNIST (28×28 greyscale, 10 classes).
It needs no network.

| | |
|---|---|
| Test accuracy (10 000 Fashion-MNIST test images) | **{acc:.2f}%** |
| Parameters | {n_params:,} |
| `model.onnx` size | {size:,} bytes ({size_kib:.0f} KiB), weights embedded |
| `model.onnx` sha256 | `{sha}` |
| ONNX opset | 13; ops: {ops} |
| Input | `input`, float32 `[N,1,28,28]`, pixels in [0, 1] (byte / 255), white garment on black |
| Output | `logits`, float32 `[N,10]`, raw logits (no softmax) |

The card `neuromask.json` says `mean [0]`, `std [1]`: the model takes the [0, 1] pixels directly; there is
no normalisation in the graph or outside it.

## Architecture

Conv(1→32, 3×3, pad 1) + BN + ReLU → Conv(32→32, 3×3, pad 1) + BN + ReLU → MaxPool 2 →
Conv(32→64, 3×3, pad 1) + BN + ReLU → MaxPool 2 → Flatten → Linear(3136→128) + ReLU → Dropout(0.3) →
Linear(128→10). BatchNorm is folded into the convolutions at export (`do_constant_folding=True`, eval mode).

## Training

- Data: Fashion-MNIST from the Debian package `dataset-fashion-mnist`
  (`/usr/share/datasets/fashion-mnist/*-ubyte.gz`, IDX files parsed with gzip + numpy). 60 000 training images,
  10 000 test images; the test set was used only for reporting and for choosing the example images.
- {epochs} epochs, batch {bs}, AdamW (weight decay 1e-4), one-cycle learning rate (max {lr}),
  label smoothing 0.05, random horizontal flips; seed {seed}; `torch.use_deterministic_algorithms(True)`,
  {threads} CPU threads. Training took {train_s:.0f} s wall-clock on 2 CPU cores (varies with machine load) (torch {torch}, onnx {onnx}).
- Export check: `onnx.checker.check_model(full_check=True)`, reload with `onnx.load`, and an independent numpy
  evaluation of the exported graph on the 10 example images (max |logit difference| to torch: {diff:.1e}).

## Per-class test accuracy

| Label | Class | Accuracy |
|---|---|---|
{per_class}

## Licence

Fashion-MNIST is © Zalando SE (Zalando Research), released under the MIT licence
(https://github.com/zalandoresearch/fashion-mnist). The trained weights are derived from it.

## Reproduce

```sh
/usr/bin/python3 scripts/train-fashion-mnist.py      # --seed {seed} --epochs {epochs} are the defaults
```

It rewrites this directory, `assets/images/fashion/` and `test/fixtures/fashion-logits.json`. With the same seed,
thread count and torch build it gives the same weights.
"""

IMAGES_README = """# Fashion-MNIST example images

Ten images from the Fashion-MNIST **test** set, one per class, each classified correctly and confidently by
`assets/models/fashion-mnist-cnn`. 28×28, 8-bit greyscale PNG, the original pixel bytes unchanged.
`INDEX.json` lists each file's test-set index, label and the model's probability for the true class.

Licence: Fashion-MNIST, MIT licence, © Zalando SE (Zalando Research), from the Debian package dataset-fashion-mnist.

| File | Test index | Label | Class | Model probability |
|---|---|---|---|---|
{rows}
"""

if __name__ == '__main__':
    sys.exit(main())
