"""Run neuromask's prepared float ONNX graph (scripts/reference/dump-inputs.ts) as a torch module.

The prepared graphs use a handful of ops (Conv, Clip, Relu, Add, MaxPool, GlobalAveragePool,
Flatten/Reshape, MatMul/Gemm). Every node is a submodule named after its first output, so a
reference method that hooks a layer (captum's LayerGradCam, TorchRay's saliency_layer) can take
any tensor of the graph by name: `model.layer("<tensor name>")`.
"""
import re
import sys
import types

import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class Node(torch.nn.Module):
    def __init__(self, node, consts):
        super().__init__()
        self.op = node.op_type
        self.inputs = list(node.inputs if hasattr(node, 'inputs') else node.input)
        self.a = _attrs(node)
        self.consts = consts

    def forward(self, *xs):
        a, op = self.a, self.op
        if op == 'Conv':
            x, w = xs[0], xs[1]
            b = xs[2] if len(xs) > 2 else None
            p = a.get('pads', [0, 0, 0, 0])
            if p[0] != p[2] or p[1] != p[3]:
                x, p = F.pad(x, (p[1], p[3], p[0], p[2])), [0, 0, 0, 0]
            return F.conv2d(x, w, b, stride=a.get('strides', [1, 1]), padding=(p[0], p[1]),
                            dilation=a.get('dilations', [1, 1]), groups=a.get('group', 1))
        if op == 'Clip':
            lo = xs[1].item() if len(xs) > 1 and xs[1] is not None else None
            hi = xs[2].item() if len(xs) > 2 and xs[2] is not None else None
            return torch.clamp(xs[0], lo, hi)
        if op == 'Relu':
            return F.relu(xs[0])
        if op == 'Add':
            return xs[0] + xs[1]
        if op == 'Mul':
            return xs[0] * xs[1]
        if op == 'Sub':
            return xs[0] - xs[1]
        if op == 'GlobalAveragePool':
            return xs[0].mean(dim=(2, 3), keepdim=True)
        if op == 'MaxPool':
            p = a.get('pads', [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3]
            return F.max_pool2d(xs[0], a['kernel_shape'], a.get('strides', [1, 1]), (p[0], p[1]))
        if op == 'Flatten':
            return torch.flatten(xs[0], a.get('axis', 1))
        if op == 'Reshape':
            shape = [int(v) for v in xs[1].tolist()]
            # The prepared graphs have a static batch of 1; the reference methods batch.
            if shape[0] == 1:
                shape[0] = xs[0].shape[0]
            return torch.reshape(xs[0], shape)
        if op == 'MatMul':
            return torch.matmul(xs[0], xs[1])
        if op == 'Gemm':
            x, w = xs[0], xs[1]
            if a.get('transA', 0):
                x = x.t()
            if a.get('transB', 0):
                w = w.t()
            y = a.get('alpha', 1.0) * (x @ w)
            return y + a.get('beta', 1.0) * xs[2] if len(xs) > 2 else y
        if op in ('Identity', 'Dropout'):
            return xs[0]
        raise NotImplementedError(op)


class OnnxModule(torch.nn.Module):
    """The graph as a module; `normalise=(mean, std)` prepends (x − mean)/std so inputs are [0, 1] pixels."""

    def __init__(self, path, normalise=None):
        super().__init__()
        m = onnx.load(path)
        g = m.graph
        self.consts = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in g.initializer}
        for name, t in self.consts.items():
            self.register_buffer('c_' + str(len(self._buffers)), t)
        self.input_name = g.input[0].name
        self.output_name = g.output[0].name
        self.order = []
        self.nodes = torch.nn.ModuleDict()
        self.by_output = {}
        for i, n in enumerate(g.node):
            key = f'n{i}'
            self.nodes[key] = Node(n, self.consts)
            self.order.append((key, list(n.input), list(n.output)))
            self.by_output[n.output[0]] = key
        self.normalise = None
        if normalise is not None:
            mean, std = normalise
            self.normalise = (torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1))
        for p in self.parameters():
            p.requires_grad_(False)

    def layer(self, tensor_name):
        return self.nodes[self.by_output[tensor_name]]

    def forward(self, x):
        if self.normalise is not None:
            x = (x - self.normalise[0]) / self.normalise[1]
        env = {self.input_name: x}
        for key, ins, outs in self.order:
            args = [env[i] if i in env else self.consts.get(i) for i in ins]
            env[outs[0]] = self.nodes[key](*args)
        return env[self.output_name]


def stub_missing_imports():
    """TorchRay imports matplotlib and PIL for its debug plots and image helpers only, and packaging
    for a version check: stand-ins if absent (pass --torchray a folder holding only torchray/, since
    TorchRay's checkout has a `packaging/` folder of its own)."""
    for name in ('matplotlib', 'matplotlib.pyplot', 'PIL', 'PIL.Image'):
        try:
            __import__(name)
        except ImportError:
            sys.modules[name] = types.ModuleType(name)
            parent, _, child = name.rpartition('.')
            if parent:
                setattr(sys.modules[parent], child, sys.modules[name])
    try:
        from packaging import version  # noqa: F401  (TorchRay's version check)
    except ImportError:
        v = types.ModuleType('packaging.version')
        v.parse = lambda s: tuple(int(n) for n in re.findall(r'\d+', s)[:3])
        sys.modules['packaging'] = types.ModuleType('packaging')
        sys.modules['packaging'].version = sys.modules['packaging.version'] = v
