"""PyTorch side of the engine benchmark: forward, and forward + gradient to the input, per config.

argv: model batches(csv) threads(csv) warmup max_runs budget_ms. Prints one JSON line per config.
"""
import json, sys, torch
import nets
from timing import median_ms

model, batches, threads = sys.argv[1], [int(v) for v in sys.argv[2].split(',')], [int(v) for v in sys.argv[3].split(',')]
warmup, max_runs, budget = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
torch.manual_seed(0)
torch.set_num_interop_threads(1)
net = nets.make(model)
for t in threads:
    torch.set_num_threads(t)
    for b in batches:
        x = torch.rand(b, 3, 224, 224)

        def fwd():
            with torch.no_grad():
                net(x)

        def step():
            # Same scalar as the ONNX side: sum of the logits, differentiated for the input only.
            xi = x.clone().requires_grad_(True)
            torch.autograd.grad(net(xi).sum(), xi)

        f, fr = median_ms(fwd, warmup, max_runs, budget)
        s, sr = median_ms(step, warmup, max_runs, budget)
        print(json.dumps({'model': model, 'batch': b, 'threads': t, 'fwd_ms': f, 'step_ms': s, 'runs': [fr, sr], 'net': nets.source()}), flush=True)
