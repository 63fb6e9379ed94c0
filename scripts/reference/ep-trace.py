"""Step-by-step trace of TorchRay's extremal_perturbation on neuromask's model and input tensor.

    /usr/bin/python3 scripts/reference/ep-trace.py --torchray <src> --data <dir> --out <dir> [--steps N] [--photo NAME]

Runs TorchRay's own `extremal_perturbation` for N steps (its defaults otherwise) with an SGD that
records, at every step, the mask parameters it was given and their gradient, plus TorchRay's
reward/regul history. Then, for the same recorded parameters, the gradient of the reward alone
(TorchRay's MaskGenerator, Perturbation and simple_reward, area weight 0). Writes
<out>/{params,grad,reward_grad}.npy ([N, h, w]), hist.npy ([2, N]: reward, regul), full0.npy (the
full mask of step 0). scripts/reference/ep-trace.ts replays the same parameters through our graph.
"""
import argparse
import json
import os
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
from onnx_torch import OnnxModule, stub_missing_imports  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torchray', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--photo')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--eps', type=float, default=0.0, help='add eps·N(0,1) (seed 0) to the input tensor: a noise-floor run')
    ap.add_argument('--final', action='store_true', help='only the final mask of a full run (no per-step records)')
    args = ap.parse_args()
    sys.path.insert(0, args.torchray)
    stub_missing_imports()
    import torchray.attribution.extremal_perturbation as ep
    torch.set_num_threads(args.threads)
    meta = json.load(open(os.path.join(args.data, 'meta.json')))
    photo = next(p for p in meta['photos'] if args.photo in (None, p['name']))
    H, W = meta['size']
    C = meta['channels']
    model = OnnxModule(os.path.join(args.data, 'model.onnx'))
    x = torch.from_numpy(np.load(os.path.join(args.data, f"{photo['name']}.input.npy"))).reshape(1, C, H, W)
    if args.eps > 0:
        g = torch.Generator().manual_seed(0)
        x = x + args.eps * torch.randn(x.shape, generator=g)
    target = photo['target']
    step = max(1, round(7 * min(H, W) / 224))
    sigma = 3 * step
    os.makedirs(args.out, exist_ok=True)

    records = {'params': [], 'grad': []}

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):
            p = self.param_groups[0]['params'][0]
            if not args.final:
                records["params"].append(p.detach()[0, 0].clone().numpy())
                records["grad"].append(p.grad.detach()[0, 0].clone().numpy())
            return super().step(closure)

    ep.optim = types.SimpleNamespace(SGD=RecordingSGD)
    full0 = []
    generate = ep.MaskGenerator.generate

    def recording_generate(self, mask_in):
        out = generate(self, mask_in)
        if not full0:
            full0.append(out[1].detach()[0, 0].clone().numpy())
        return out

    ep.MaskGenerator.generate = recording_generate
    mask, hist = ep.extremal_perturbation(model, x, target, max_iter=args.steps, step=step, sigma=sigma)
    np.save(os.path.join(args.out, 'mask.npy'), mask[0, 0].numpy().astype(np.float32))
    np.save(os.path.join(args.out, 'hist.npy'), hist[0].numpy().astype(np.float32))
    pert = ep.Perturbation(x, num_levels=8)
    with torch.no_grad():
        prob = torch.softmax(model(pert.apply(mask[:1])), dim=1)[0, target].item()
    print(json.dumps({'steps': args.steps, 'maskedProbability': prob, 'reward': float(hist[0, 0, -1]), 'regul': float(hist[0, 1, -1])}), flush=True)
    if args.final:
        return
    np.save(os.path.join(args.out, 'full0.npy'), full0[0].astype(np.float32))
    params = np.stack(records['params']).astype(np.float32)
    np.save(os.path.join(args.out, 'params.npy'), params)
    np.save(os.path.join(args.out, 'grad.npy'), np.stack(records['grad']).astype(np.float32))
    # The reward's gradient alone at the same parameters (TorchRay's own pieces).
    gen = ep.MaskGenerator((H, W), step, sigma)
    reward_grads = []
    for t in range(len(params)):
        p = torch.from_numpy(params[t]).reshape(1, 1, *params[t].shape).requires_grad_(True)
        z = pert.apply(gen.generate(p)[0])
        if t % 2 == 0:
            z = torch.flip(z, dims=(3,))
        (-ep.simple_reward(model(z), target, variant='preserve').sum()).backward()
        reward_grads.append(p.grad.detach()[0, 0].numpy())
    np.save(os.path.join(args.out, 'reward_grad.npy'), np.stack(reward_grads).astype(np.float32))


if __name__ == '__main__':
    main()
