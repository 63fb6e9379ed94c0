"""Reference saliency maps from captum and TorchRay, on neuromask's own model and input tensors.

    node --import tsx scripts/reference/dump-inputs.ts <model> <dir> <image>...
    /usr/bin/python3 scripts/reference-maps.py --torchray <src> --captum <src> --data <dir> \
        [--out <dir>] [--methods gradient,ep,...] [--set ep.iterations=800 ...]

<src> is a folder holding the `torchray` / `captum` packages (their source, e.g. from git); this
script only calls them. <dir> is what dump-inputs.ts wrote: the prepared float graph (model.onnx),
meta.json and per photo <name>.pixels.npy ([C,H,W] in [0, 1]) and <name>.input.npy (normalised).
Writes <out>/<name>.<method>.npy (H×W float32) and <out>/reference.json (settings, extra numbers).
Python and the reference packages are needed only here: neuromask and its tests never run them.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference'))
from onnx_torch import OnnxModule, stub_missing_imports  # noqa: E402

# Our defaults, given to the reference methods (see each method's file in src/methods/).
SETTINGS = {
    'ig': {'steps': 32, 'rules': ['gausslegendre', 'riemann_right', 'riemann_middle']},
    'smoothgrad': {'samples': 25, 'noise': 0.15},
    'occlusion': {'patch': None, 'stride': None},  # None: ours (1/8 of the shorter side, half of it)
    'rise': {'masks': 2000, 'cells': 7, 'p': 0.5},
    'ep': {'areas': [0.1], 'iterations': 800, 'step': None, 'sigma': None, 'reward': 'simple', 'levels': 8, 'max_blur': 20.0},
}


def parse_set(items):
    for item in items:
        key, value = item.split('=', 1)
        method, name = key.split('.', 1)
        SETTINGS[method][name] = json.loads(value)


class LogitOfSoftmax(torch.nn.Module):
    """log(p / (1 − p)) of the softmax: TorchRay's RISE applies a sigmoid, which turns this back into p."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        logp = F.log_softmax(self.model(x), dim=1)
        return logp - torch.log1p(-logp.exp().clamp(max=1 - 1e-7))


class Softmax(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return F.softmax(self.model(x), dim=1)


def default_step(h, w):
    return max(1, round(7 * min(h, w) / 224))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torchray', required=True)
    ap.add_argument('--captum', default='', help='needed for the maps only')
    ap.add_argument('--data', required=True)
    ap.add_argument('--out')
    ap.add_argument('--methods', default='gradient,ig,smoothgrad,gradcam,gradcam-torchray,occlusion,rise,ep')
    ap.add_argument('--photos', help='comma-separated subset of meta.json photos')
    ap.add_argument('--target', type=int, help='one class for every photo instead of the predicted one')
    ap.add_argument('--set', nargs='*', default=[])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--mask-generator', metavar='H,W,STEP,SIGMA', nargs='*', default=[],
                    help='instead of maps: TorchRay MaskGenerator outputs for seeded parameters')
    ap.add_argument('--rise-masks', metavar='H,W,CELLS', nargs='*', default=[],
                    help='instead of maps: TorchRay RISE masks for seeded grids and shifts')
    args = ap.parse_args()
    parse_set(args.set)
    sys.path.insert(0, args.torchray)
    sys.path.insert(0, args.captum)
    stub_missing_imports()
    torch.set_num_threads(args.threads)
    out = args.out or args.data
    if args.mask_generator:
        return mask_generator_fixtures(args.mask_generator, out)
    if args.rise_masks:
        return rise_mask_fixtures(args.rise_masks, out)
    methods = args.methods.split(',')
    if {'gradient', 'ig', 'smoothgrad', 'gradcam', 'occlusion'} & set(methods):
        from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, NoiseTunnel, Occlusion, Saliency
    from torchray.attribution.extremal_perturbation import Perturbation, contrastive_reward, extremal_perturbation, simple_reward
    from torchray.attribution.rise import rise
    from torchray.attribution.grad_cam import grad_cam

    os.makedirs(out, exist_ok=True)
    meta = json.load(open(os.path.join(args.data, 'meta.json')))
    H, W = meta['size']
    C = meta['channels']
    path = os.path.join(args.data, 'model.onnx')
    model = OnnxModule(path)  # takes the normalised tensor, as TorchRay's users call it
    pix_model = OnnxModule(path, normalise=(meta['mean'], meta['std']))  # takes [0, 1] pixels, as ours
    wanted = args.photos.split(',') if args.photos else None
    report = {'settings': SETTINGS, 'photos': {}}

    def save(name, method, m):
        m = np.asarray(m, dtype=np.float32).reshape(H, W)
        np.save(os.path.join(out, f'{name}.{method}.npy'), m)

    for photo in meta['photos']:
        name = photo['name']
        if wanted and name not in wanted:
            continue
        target = args.target if args.target is not None else photo['target']
        pix = torch.from_numpy(np.load(os.path.join(args.data, f'{name}.pixels.npy'))).reshape(1, C, H, W)
        x = torch.from_numpy(np.load(os.path.join(args.data, f'{name}.input.npy'))).reshape(1, C, H, W)
        rec = report['photos'].setdefault(name, {'target': target})
        t0 = time.time()
        if 'gradient' in methods:
            g = Saliency(pix_model).attribute(pix.clone().requires_grad_(), target=target, abs=True)
            save(name, 'gradient', g[0].max(dim=0)[0].numpy())
        if 'ig' in methods:
            for rule in SETTINGS['ig']['rules']:
                a = IntegratedGradients(pix_model).attribute(pix, baselines=torch.zeros_like(pix), target=target,
                                                            n_steps=SETTINGS['ig']['steps'], method=rule)
                save(name, f'integrated-gradients-{rule}', a[0].sum(dim=0).detach().numpy())
        if 'smoothgrad' in methods:
            s = SETTINGS['smoothgrad']
            torch.manual_seed(0)
            sigma = s['noise'] * float(pix.max() - pix.min())
            nt = NoiseTunnel(Saliency(pix_model))
            g = nt.attribute(pix.clone().requires_grad_(), nt_type='smoothgrad', nt_samples=s['samples'], stdevs=sigma,
                             target=target, abs=False)
            save(name, 'smoothgrad', g[0].abs().max(dim=0)[0].detach().numpy())
        if 'gradcam' in methods:
            layer = meta['gradCamLayer']
            cam = LayerGradCam(model, model.layer(layer)).attribute(x, target=target, relu_attributions=True)
            up = LayerAttribution.interpolate(cam, (H, W), interpolate_mode='bilinear')
            save(name, 'grad-cam', up[0, 0].detach().numpy())
            rec['gradCamLayer'] = layer
        if 'gradcam-torchray' in methods:
            layer = meta['gradCamLayer']
            cam = grad_cam(model, x.clone(), target, saliency_layer=model.layer(layer), resize=True)
            save(name, 'grad-cam-torchray', cam[0, 0].detach().numpy())
        if 'occlusion' in methods:
            s = SETTINGS['occlusion']
            patch = s['patch'] or max(1, round(min(H, W) / 8))
            stride = s['stride'] or max(1, patch // 2)
            fill = pix.mean(dim=(2, 3), keepdim=True).expand_as(pix)  # ours: fill 'mean', the image's mean colour
            a = Occlusion(Softmax(pix_model)).attribute(pix, sliding_window_shapes=(C, patch, patch), strides=(C, stride, stride),
                                                       baselines=fill, target=target, perturbations_per_eval=16)
            save(name, 'occlusion', a[0, 0].detach().numpy())
        if 'rise' in methods:
            s = SETTINGS['rise']
            for seed in (0, 1):
                # Pixel-space model: the masks fade to black in [0, 1] pixels, as ours do.
                sal = rise(LogitOfSoftmax(pix_model), pix, seed=seed, num_masks=s['masks'], num_cells=s['cells'], p=s['p'], batch_size=32)
                save(name, f'rise-seed{seed}', sal[0, target].numpy())
        if 'ep' in methods:
            s = SETTINGS['ep']
            step = s['step'] or default_step(H, W)
            sigma = s['sigma'] or 3 * step
            reward = contrastive_reward if s['reward'] == 'contrastive' else simple_reward
            te = time.time()
            mask, hist = extremal_perturbation(model, x, target, areas=s['areas'], max_iter=s['iterations'], step=step, sigma=sigma,
                                               num_levels=s['levels'], reward_func=reward)
            pert = Perturbation(x, num_levels=s['levels'], max_blur=s['max_blur'])
            with torch.no_grad():
                p = F.softmax(model(pert.apply(mask[:1])), dim=1)[0, target].item()
            save(name, 'extremal-perturbation', mask[0, 0].numpy())
            rec['extremal-perturbation'] = {'maskedProbability': p, 'seconds': time.time() - te, 'step': step, 'sigma': sigma,
                                            'finalReward': float(hist[0, 0, -1]), 'finalRegul': float(hist[0, 1, -1])}
        rec['seconds'] = time.time() - t0
        print(name, json.dumps(rec), flush=True)
    with open(os.path.join(out, 'reference.json.tmp'), 'w') as f:
        json.dump(report, f, indent=2)
    os.replace(os.path.join(out, 'reference.json.tmp'), os.path.join(out, 'reference.json'))


def mask_generator_fixtures(geometries, out):
    from torchray.attribution.extremal_perturbation import MaskGenerator
    os.makedirs(out, exist_ok=True)
    for spec in geometries:
        h, w, step, sigma = (float(v) for v in spec.split(','))
        h, w, step = int(h), int(w), int(step)
        gen = MaskGenerator((h, w), step, sigma)
        torch.manual_seed(0)
        # Parameters in [0, 1] with some exactly 0 and 1, as the clamped optimiser leaves them.
        p = (torch.rand(1, 1, *gen.shape_in) * 1.4 - 0.2).clamp(0, 1)
        cropped, full = gen.generate(p)
        stem = os.path.join(out, f'ep-mask-{h}x{w}-step{step}-sigma{spec.split(",")[3]}')
        np.save(stem + '.params.npy', p[0, 0].numpy().astype(np.float32))
        np.save(stem + '.full.npy', full[0, 0].numpy().astype(np.float32))
        print(stem, list(p.shape), list(full.shape), list(cropped.shape))


def rise_mask_fixtures(geometries, out, count=4):
    """TorchRay's RISE masks: its _upsample_reflect of a 0/1 grid to (size + cell), cropped at a shift below one cell."""
    from torchray.attribution.rise import _upsample_reflect
    os.makedirs(out, exist_ok=True)
    for spec in geometries:
        h, w, cells = (int(v) for v in spec.split(','))
        cell = [int(np.ceil(s / cells)) for s in (h, w)]
        g = torch.Generator().manual_seed(0)
        grid = (torch.rand(count, 1, cells, cells, generator=g) < 0.5).float()
        up = _upsample_reflect(grid, (h + cell[0], w + cell[1]))
        shifts = torch.stack([torch.randint(0, cell[0], (count,), generator=g), torch.randint(0, cell[1], (count,), generator=g)], dim=1)
        masks = torch.stack([up[i, 0, sy:sy + h, sx:sx + w] for i, (sy, sx) in enumerate(shifts.tolist())])
        stem = os.path.join(out, f'rise-mask-{h}x{w}-cells{cells}')
        np.save(stem + '.grid.npy', grid[:, 0].numpy().astype(np.float32))
        np.save(stem + '.shift.npy', shifts.numpy().astype(np.float32))
        np.save(stem + '.mask.npy', masks.numpy().astype(np.float32))
        print(stem, list(grid.shape), shifts.tolist(), list(masks.shape))


if __name__ == '__main__':
    main()
