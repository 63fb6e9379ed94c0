"""Export torchvision classifiers (random weights) to ONNX for `npm run compat`.

Usage: /usr/bin/python3 scripts/compat.py OUT_DIR [--only NAME[,NAME...]] [--quick] [--list]
Writes OUT_DIR/<model>-op<opset>-<static|dynamic>.onnx and prints one JSON line per file:
{"model", "opset", "batch", "size", "file"} or {"model", ..., "error"}. Existing files are kept,
so a rerun only exports what is missing.
"""
import json, os, sys, warnings

import torch
import torchvision.models as tvm

warnings.filterwarnings('ignore')

# name → (constructor kwargs, input size). All with weights=None: the architecture is what matters.
MODELS = {
    'resnet18': ({}, 224),
    'resnet50': ({}, 224),
    'vgg11_bn': ({}, 224),
    'squeezenet1_0': ({}, 224),
    'squeezenet1_1': ({}, 224),
    'densenet121': ({}, 224),
    'inception_v3': ({'aux_logits': False, 'init_weights': False}, 299),
    'googlenet': ({'aux_logits': False, 'transform_input': False, 'init_weights': False}, 224),
    'mobilenet_v2': ({}, 224),
    'mobilenet_v3_small': ({}, 224),
    'mobilenet_v3_large': ({}, 224),
    'efficientnet_b0': ({}, 224),
    'shufflenet_v2_x1_0': ({}, 224),
    'mnasnet0_5': ({}, 224),
    'regnet_y_400mf': ({}, 224),
    'convnext_tiny': ({}, 224),
    'alexnet': ({}, 224),
    'swin_t': ({}, 224),
    'resnext50_32x4d': ({}, 224),
    'vit_b_16': ({}, 224),
}

# (opset, dynamic batch): both opsets with both batch kinds. Dynamic batch covers the
# Shape→Gather→Unsqueeze→Concat→Reshape chains in both Unsqueeze forms (axes attribute / input).
VARIANTS = [(17, False), (11, False), (11, True), (17, True)]
QUICK_VARIANTS = [(17, False)]
# Large or slow models get fewer variants, to keep the full run within minutes.
FEWER_VARIANTS = {'vgg11_bn': [(17, False)], 'alexnet': [(17, False)], 'vit_b_16': [(17, False), (11, True)],
                  'swin_t': [(17, False), (11, True)], 'resnext50_32x4d': [(17, False)]}


MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def random_images(n, size):
    """Uniform noise images, normalised as compat.ts feeds them."""
    return (torch.rand(n, 3, size, size) - MEAN) / STD


def calibrated(net, size):
    """Eval mode, with BatchNorm statistics measured on a few random batches. Fresh statistics
    (mean 0, var 1) shrink the signal layer by layer: in some nets the input then moves the
    logits by 1e-11 of their size, and float32 finite differences see nothing but rounding."""
    net.eval()
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
        m.train()  # only the BNs: dropout and stochastic depth stay off
    with torch.no_grad():
        for m in net.modules():
            # ViT's head starts at zero (logits 0, gradient 0): nothing to compare.
            if isinstance(m, torch.nn.Linear) and not m.weight.any():
                torch.nn.init.normal_(m.weight, std=0.02)
        for _ in range(2):
            net(random_images(4, size))
    return net.eval()


def export(name, opset, dynamic, out_dir, nets):
    """Export one variant unless its file exists; `nets` caches the calibrated net across variants."""
    kwargs, size = MODELS[name]
    kind = 'dynamic' if dynamic else 'static'
    path = os.path.join(out_dir, f'{name}-op{opset}-{kind}.onnx')
    row = {'model': name, 'opset': opset, 'batch': kind, 'size': size, 'file': path}
    if os.path.exists(path):
        return row
    if name not in nets:
        torch.manual_seed(0)
        nets[name] = calibrated(getattr(tvm, name)(weights=None, **kwargs), size)
    torch.manual_seed(0)
    x = random_images(1, size)
    axes = {'input': {0: 'N'}, 'logits': {0: 'N'}} if dynamic else None
    tmp = path + '.tmp'  # renamed when complete, so an interrupted export leaves no half file
    # Grad mode stays on: under no_grad, torch 1.13's MultiheadAttention takes a fused fast path
    # (aten::_native_multi_head_attention) that has no ONNX export.
    torch.onnx.export(nets[name], x, tmp, opset_version=opset, input_names=['input'], output_names=['logits'],
                      dynamic_axes=axes, do_constant_folding=True)
    os.replace(tmp, path)
    return row


def main(argv):
    out_dir = argv[0]
    only = None
    if '--only' in argv:
        only = set(argv[argv.index('--only') + 1].split(','))
    quick = '--quick' in argv
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in MODELS:
        if only is not None and name not in only:
            continue
        variants = QUICK_VARIANTS if quick else FEWER_VARIANTS.get(name, VARIANTS)
        nets = {}
        for opset, dynamic in variants:
            try:
                row = export(name, opset, dynamic, out_dir, nets)
            except Exception as e:  # one model failing to export must not stop the others
                row = {'model': name, 'opset': opset, 'batch': 'dynamic' if dynamic else 'static', 'error': f'{type(e).__name__}: {e}'[:300]}
            print(json.dumps(row), flush=True)


if __name__ == '__main__':
    if '--list' in sys.argv:
        print(json.dumps(list(MODELS)))
    else:
        main(sys.argv[1:])
