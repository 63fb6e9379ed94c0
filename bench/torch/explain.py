"""PyTorch side of the explain benchmark: the NeuroMask loops on a random-weight MobileNetV2.

argv: preset(reference|default) iterations threads image.f32 (3x224x224 float32, [0,1] pixels).
Prints one JSON line: seconds for the loop (model built and target found beforehand, as ours).
"""
import json, sys, time, torch
import torch.nn.functional as F
import nets

preset, iters, threads, image = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(0)
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
net = nets.make('mobilenetv2')
H = W = 224
with open(image, 'rb') as f:
    x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).view(1, 3, H, W)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
f = lambda xm: net((xm - mean) / std)  # mask in [0,1] pixel space, normalise after (reference semantics)
with torch.no_grad():
    target = f(x).argmax(1)


def laplacian(k):
    lap = -torch.ones(1, 1, k, k)
    lap[0, 0, k // 2, k // 2] = k * k - 1
    return lap


def reference():
    # The nesl/neuromask ImageNet notebook: sigmoid(w/0.3), black baseline, 0.4·CE + 0.35·mean|w+10| + 0.03·mean(lap5⊛w)²,
    # TF1 RMSProp (lr 0.03, decay 0.9, eps 1e-10 inside the sqrt, ms starting at 1).
    w = (torch.rand(1, 1, H, W) * 20 - 10).requires_grad_(True)
    ms, lap = torch.ones_like(w), laplacian(5)
    for _ in range(iters):
        m = torch.sigmoid(w / 0.3)
        loss = 0.4 * F.cross_entropy(f(x * m), target) + 0.35 * (w + 10).abs().mean() + 0.03 * F.conv2d(w, lap).pow(2).mean()
        (g,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            ms.mul_(0.9).addcmul_(g, g, value=0.1)
            w.sub_(0.03 * g / (ms + 1e-10).sqrt())


def default():
    # Our default preset: 28×28 logits upsampled bilinearly, blur baseline (σ 10), Adam lr 0.4, starting at 0,
    # CE + 3.5·area + 1·smoothness (mean squared neighbour differences of the logits)
    # + p(target | complement), the masked and complement images in one batch of 2.
    k = torch.exp(-(torch.arange(61.) - 30) ** 2 / 200); k = k / k.sum()
    pad = F.pad(x, (30, 30, 30, 30), mode='replicate')
    blur = F.conv2d(F.conv2d(pad, k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3), k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    w = torch.full((1, 1, 28, 28), 0.0, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.4)
    for _ in range(iters):
        m = F.interpolate(torch.sigmoid(w), size=(H, W), mode='bilinear', align_corners=False)
        d = m * (x - blur)
        out = f(torch.cat([blur + d, x - d]))
        smooth = (w[:, :, 1:] - w[:, :, :-1]).pow(2).mean() + (w[:, :, :, 1:] - w[:, :, :, :-1]).pow(2).mean()
        loss = F.cross_entropy(out[:1], target) + 3.5 * m.mean() + smooth + out[1:].softmax(1)[0, target].sum()
        opt.zero_grad(); loss.backward(); opt.step()


t0 = time.perf_counter()
{'reference': reference, 'default': default}[preset]()
print(json.dumps({'preset': preset, 'iterations': iters, 'threads': threads, 'seconds': time.perf_counter() - t0, 'net': nets.source()}), flush=True)
