"""The suite's outputs: a JSON record, a Markdown table and a bar chart of the ratios."""
from __future__ import annotations

import json
import os


def _fmt_ms(s):
    return f"{s * 1e3:.3f}" if s < 1 else f"{s * 1e3:.0f}"


def _rate(row):
    if row.get("ours_gflops") is not None:
        return f"{row['ours_gflops']:.1f} GFLOP/s"
    if row.get("ours_gbs") is not None:
        return f"{row['ours_gbs']:.1f} GB/s"
    return ""


def _machine_line(meta) -> str:
    from bench.harness import peak_line

    if "gpu" in meta:  # a --device cuda run (bench/gpu/harness.machine_info)
        return (f"{meta['gpu']} (sm_{meta['capability'].replace('.', '')}, {meta['multiprocessors']} SMs), "
                f"float32, TF32 off; FP32 peak {meta['fp32_peak_gflops']} GFLOP/s at {meta['max_sm_mhz']} MHz; "
                f"{meta['timing']}; commit {meta['commit']}, {meta['date']}; torch {meta['torch']} "
                f"(CUDA {meta['torch_cuda']}, cuDNN {meta['cudnn']}), driver {meta['driver']}.")
    return (f"{meta['cpu']}, {meta['threads']} threads, float32; {peak_line(meta)}; "
            f"commit {meta['commit']}, {meta['date']}; "
            f"torch {meta['torch']}, numpy {meta['numpy']}; load average {meta['load_average']}.")


def markdown(meta, rows) -> str:
    lines = [
        _machine_line(meta),
        "ratio = peer time / our time (> 1: ours faster), from the medians; min-ratio from the "
        "fastest repeats; spread = interquartile range / median of our times.",
        "",
        "| family | case | ours ms | peer | peer ms | ours rate | % peak | ratio | min-ratio | spread | target | met |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['family']} | {r['name']} | | {r['peer']} | | | | | | | "
                         f"{r['target'] or ''} | ERROR: {r['error']} |")
            continue
        peak = f"{r['pct_peak']:.0f}%" if r.get("pct_peak") is not None else ""
        target = f"≥ {r['target']:.2f}" if r.get("target") else ""
        met = "" if not r.get("target") else ("yes" if r["ratio"] >= r["target"] else "no")
        name = f"{r['name']} ({r['kernel']})" if r.get("kernel") else r["name"]
        lines.append(
            f"| {r['family']} | {name} | {_fmt_ms(r['ours']['median'])} | {r['peer']} | "
            f"{_fmt_ms(r['peer_t']['median'])} | {_rate(r)} | {peak} | {r['ratio']:.2f} | "
            f"{r['min_ratio']:.2f} | {r['ours']['spread'] * 100:.0f}% | {target} | {met} |")
    return "\n".join(lines) + "\n"


def pyplot():
    """matplotlib.pyplot drawing to files, or None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def save_figure(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def bar_chart(meta, rows, path):
    """Horizontal bars of peer/ours per case (log scale), with each case's target marked."""
    plt = pyplot()
    if plt is None:
        return False
    good = [r for r in rows if not r.get("error")]
    if not good:
        return False
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(good) + 1.6))
    ys = list(range(len(good)))[::-1]
    colors = ["#2a9d8f" if r["ratio"] >= (r.get("target") or 1.0) else "#e76f51" for r in good]
    ax.barh(ys, [r["ratio"] for r in good], color=colors)
    for y, r in zip(ys, good):
        if r.get("target"):
            ax.plot([r["target"]] * 2, [y - 0.4, y + 0.4], color="black", lw=1.5)
        ax.text(r["ratio"], y, f" {r['ratio']:.2f}", va="center", fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels([f"{r['family']}: {r['name']}" for r in good], fontsize=7)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("peer time / our time (log scale; > 1: ours faster; black tick: target)")
    where = meta["gpu"] if "gpu" in meta else f"{meta['threads']} threads, {meta['cpu']}"
    ax.set_title(f"kernels vs numpy/torch, {where} ({meta['commit']})", fontsize=9)
    return save_figure(plt, fig, path)


def save(meta, rows, out_dir, name):
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, name)
    with open(base + ".json", "w") as f:
        json.dump({"machine": meta, "results": rows}, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(markdown(meta, rows))
    paths = [base + ".json", base + ".md"]
    if bar_chart(meta, rows, base + ".png"):
        paths.append(base + ".png")
    return paths
