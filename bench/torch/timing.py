import time


def median_ms(fn, warmup, max_runs, budget_ms):
    """Median wall time of fn() after warm-up; as many runs as fit the budget (at least 3, at most max_runs).

    Same rule as bench/table.ts so both sides are measured alike.
    """
    t, spent = 0.0, 0.0
    for _ in range(warmup):
        if spent >= budget_ms:
            break
        t0 = time.perf_counter(); fn(); t = (time.perf_counter() - t0) * 1e3; spent += t
    runs = max(3, min(max_runs, int(budget_ms / max(t, 1e-3))))
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    return ts[len(ts) // 2], runs
