"""Export a random-weight ResNet-50 to ONNX (opset 13) for the engine benchmark.

Usage: /usr/bin/python3 scripts/make-resnet50.py OUT.onnx
Uses torchvision's resnet50 when installed, else the same architecture in plain torch (bench/torch/nets.py).
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench', 'torch'))
import torch
import nets

out = sys.argv[1]
torch.manual_seed(0)
net = nets.make('resnet50')
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
tmp = out + '.tmp'  # written then renamed, so an interrupted export never leaves a half file behind
torch.onnx.export(net, torch.rand(1, 3, 224, 224), tmp, opset_version=13, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}})
os.replace(tmp, out)
print(f'wrote {out} ({nets.source()})')
