"""Reference logits of the dequantized MobileNetV2 -> test/fixtures/mobilenet-reference.json.

Usage: /usr/bin/python3 scripts/mobilenet-reference.py [SHARED_DIR]     (default ../shared)
Needs Debian's python3-torch and python3-onnx; run once, the test never runs Python.

An implementation independent of neuromask's: the int8 ONNX file is read with the onnx package and
evaluated node by node in PyTorch, in float64, with the meaning neuromask gives it (README, "The
engine"): every QLinear op computed in real arithmetic on dequantized operands, its output clamped
to what the output's quantization can represent (ReLU6 survives as that clamp), the rounding to
the quantization grid left out. Float64 keeps this reference free of any float32 kernel's
rounding, so the test's tolerance only has to cover ONNX Runtime's float32 sums on whatever CPU.

Inputs, as [3, 224, 224] pixels in [0, 1] before the ImageNet mean/std:
- synthetic patterns from integer formulas, written again in test/mobilenet-reference.test.ts;
  the fixture holds the SHA-256 of their bytes so the two generators cannot drift apart;
- the shared photos through neuromask's own image pipeline (sharp), which
  scripts/mobilenet-reference-inputs.ts writes as .npy: PIL's resize differs from sharp's, and the
  reference must see the very tensor the test will feed. Their SHA-256 is recorded too.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
SHARED = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '..', 'shared'))
MODEL = os.path.join(SHARED, 'models', 'mobilenetv2-12-int8', 'mobilenetv2-12-int8.onnx')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'mobilenet-reference.json')
PHOTOS = ['dog.jpg', 'eagle.jpg', 'squirrel_cls.jpg', 'orange.jpg', 'baboon.jpg', 'butterfly.jpg',
          'chelsea.png', 'coffee.png', 'motorcycle_left.png']
MEAN = np.array([0.485, 0.456, 0.406]).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225]).reshape(3, 1, 1)


def lcg(seed):
    """32-bit LCG (Numerical Recipes constants); the top byte of each state is one pixel."""
    s = seed
    while True:
        s = (s * 1664525 + 1013904223) % 2**32
        yield s >> 24


def synthetic(name):
    """uint8 [3, 224, 224] from integer formulas only, so that TypeScript makes the same bytes."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(224), np.arange(224), indexing='ij')
    if name == 'noise':
        g = lcg(12345)
        return np.array([next(g) for _ in range(3 * 224 * 224)], dtype=np.uint8).reshape(3, 224, 224)
    if name == 'blocks':  # 8×8-pixel blocks of LCG colours
        g = lcg(777)
        cells = np.array([next(g) for _ in range(3 * 28 * 28)], dtype=np.int64).reshape(3, 28, 28)
        return cells[c, y // 8, x // 8].astype(np.uint8)
    if name == 'rings':
        return ((((x - 112) ** 2 + (y - 96) ** 2) * (c + 1) >> 6) & 255).astype(np.uint8)
    raise ValueError(name)


def sha256(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


class DequantizedModel:
    """The int8 graph evaluated op by op on dequantized float64 tensors."""

    def __init__(self, path):
        self.model = onnx.load(path)
        self.init = {t.name: numpy_helper.to_array(t) for t in self.model.graph.initializer}

    def c(self, name):
        return self.init[name]

    def dq(self, q, s, z, axis=None):
        """DequantizeLinear of a constant: (q - zero_point) * scale, per tensor or along `axis`."""
        q = self.c(q).astype(np.float64)
        s = self.c(s).astype(np.float64)
        z = self.c(z).astype(np.float64)
        if s.ndim == 1 and axis is not None:
            shape = [1] * q.ndim
            shape[axis] = -1
            s, z = s.reshape(shape), z.reshape(shape)
        return torch.from_numpy((q - z) * s)

    def clamp(self, v, s, z):
        """What quantization with this scale and zero point can represent, without its rounding."""
        s = float(self.c(s))
        zt = self.c(z)
        lo, hi = (-128, 127) if zt.dtype == np.int8 else (0, 255)
        return torch.clamp(v, (lo - float(zt)) * s, (hi - float(zt)) * s)

    def run(self, x):
        env = {self.model.graph.input[0].name: x}
        val = lambda name: env[name] if name in env else torch.from_numpy(self.c(name).astype(np.float64))
        for n in self.model.graph.node:
            a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
            i = list(n.input)
            if n.op_type == 'QuantizeLinear':
                y = self.clamp(val(i[0]), i[1], i[2])
            elif n.op_type == 'DequantizeLinear':
                y = val(i[0])
            elif n.op_type == 'QLinearConv':
                w = self.dq(i[3], i[4], i[5], axis=0)
                b = None
                if len(i) > 8 and i[8]:
                    b = torch.from_numpy(self.c(i[8]).astype(np.float64) * float(self.c(i[1])) * self.c(i[4]).astype(np.float64))
                p = a.get('pads', [0, 0, 0, 0])
                assert p[0] == p[2] and p[1] == p[3], 'symmetric pads only'
                y = F.conv2d(val(i[0]), w, b, stride=tuple(a.get('strides', [1, 1])), padding=(p[0], p[1]),
                             dilation=tuple(a.get('dilations', [1, 1])), groups=a.get('group', 1))
                y = self.clamp(y, i[6], i[7])
            elif n.op_type == 'QLinearMatMul':
                b = self.dq(i[3], i[4], i[5], axis=1) if i[3] in self.init else val(i[3])
                y = self.clamp(val(i[0]) @ b, i[6], i[7])
            elif n.op_type == 'QLinearAdd':
                b = self.dq(i[3], i[4], i[5]) if i[3] in self.init else val(i[3])
                y = self.clamp(val(i[0]) + b, i[6], i[7])
            elif n.op_type == 'QLinearGlobalAveragePool':
                assert a.get('channels_last', 0) == 0
                y = self.clamp(val(i[0]).mean(dim=(2, 3), keepdim=True), i[3], i[4])
            elif n.op_type == 'Shape':
                y = torch.tensor(list(val(i[0]).shape), dtype=torch.int64)
            elif n.op_type == 'Gather':
                y = torch.index_select(val(i[0]), a.get('axis', 0), val(i[1]).long().reshape(-1)).reshape(
                    tuple(val(i[1]).shape))
            elif n.op_type == 'Unsqueeze':
                y = val(i[0])
                for ax in sorted(a['axes']):
                    y = y.unsqueeze(ax)
            elif n.op_type == 'Concat':
                y = torch.cat([val(t).long().reshape(-1) if val(t).ndim == 0 else val(t).long() for t in i], dim=a['axis'])
            elif n.op_type == 'Reshape':
                y = val(i[0]).reshape(tuple(int(v) for v in val(i[1]).tolist()))
            else:
                raise NotImplementedError(n.op_type)
            env[n.output[0]] = y
        return env[self.model.graph.output[0].name]


def photo_inputs():
    """The photos as neuromask's pipeline makes them, written by the TypeScript step."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['node', '--import', 'tsx', os.path.join('scripts', 'mobilenet-reference-inputs.ts'), tmp,
                        os.path.join(SHARED, 'images'), *PHOTOS],
                       cwd=ROOT, check=True, env={**os.environ, 'NEUROMASK_HOME': os.path.join(SHARED, 'models')})
        return {f: np.load(os.path.join(tmp, f + '.npy')) for f in PHOTOS}


def main():
    net = DequantizedModel(MODEL)
    items = [{'name': k, 'kind': 'synthetic', 'pixels': synthetic(k)} for k in ['noise', 'blocks', 'rings']]
    items += [{'name': f, 'kind': 'photo', 'pixels': p} for f, p in photo_inputs().items()]
    out = []
    for it in items:
        p = it['pixels']
        scale = 255.0 if p.dtype == np.uint8 else 1.0
        assert p.shape == (3, 224, 224) and p.dtype in (np.uint8, np.float32), (it['name'], p.shape, p.dtype)
        x = torch.from_numpy(((p.astype(np.float64) / scale - MEAN) / STD)[None])
        with torch.no_grad():
            logits = net.run(x)[0].numpy()
        out.append({'name': it['name'], 'kind': it['kind'], 'pixelsSha256': sha256(p), 'top1': int(logits.argmax()),
                    'logits': [round(float(v), 5) for v in logits]})
        print(f"{it['name']}: top-1 {out[-1]['top1']} logit {logits.max():.3f}")
    with open(MODEL, 'rb') as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    doc = {
        'model': 'mobilenetv2-12-int8/mobilenetv2-12-int8.onnx',
        'modelSha256': model_sha,
        'producedBy': f'scripts/mobilenet-reference.py: torch {torch.__version__}, onnx {onnx.__version__}, float64',
        'inputConvention': 'pixels float32 [3,224,224] in [0,1] (synthetic: uint8 bytes / 255), then (p - mean) / std',
        'hashes': 'synthetic: SHA-256 of the uint8 bytes; photos: of the float32 little-endian pixels',
        'items': out,
    }
    tmp = OUT + '.tmp'  # written then renamed: an interrupted run never leaves half a fixture
    with open(tmp, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    os.replace(tmp, OUT)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
