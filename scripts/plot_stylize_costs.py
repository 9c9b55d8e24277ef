#!/usr/bin/python3
"""The cost curves of style transfer runs, from the CSV files `dlc stylize
--log` and `scripts/stylize_torch.py --log` write (step, J, J_content,
J_style, J_tv, seconds, evals), as one PNG: J_style as a share of its start
(log scale) and J_content, against the step; --peer adds the same problems'
curves from PyTorch, dashed in the same colours.  For the README's figure; not
a dependency of dlc.  Needs Debian's python3-matplotlib.

    /usr/bin/python3 scripts/plot_stylize_costs.py --out costs.png \\
        random.csv:"random weights" trained.csv:"trained by dlc" \\
        --peer torch_random.csv torch_trained.csv
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend)


def read_log(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"{path}: no rows")
    step = [int(r["step"]) for r in rows]
    style = [float(r["J_style"]) for r in rows]
    content = [float(r["J_content"]) for r in rows]
    return step, [s / style[0] for s in style], content


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+", help="FILE.csv or FILE.csv:label")
    ap.add_argument("--peer", nargs="*", default=[],
                    help="PyTorch's logs of the same problems, in the same order")
    ap.add_argument("--out", required=True, help="the PNG to write")
    a = ap.parse_args()
    if len(a.peer) > len(a.logs):
        ap.error("more --peer logs than logs")
    fig, (ax_s, ax_c) = plt.subplots(1, 2, figsize=(8, 3), dpi=80)
    for i, spec in enumerate(a.logs):
        path, _, label = spec.partition(":")
        step, style, content = read_log(path)
        (line,) = ax_s.plot(step, style, label=label or path)
        ax_c.plot(step, content, color=line.get_color())
        if i < len(a.peer):
            step, style, content = read_log(a.peer[i])
            ax_s.plot(step, style, "--", color=line.get_color(), linewidth=1)
            ax_c.plot(step, content, "--", color=line.get_color(), linewidth=1)
    if a.peer:
        ax_s.plot([], [], "--", color="gray", linewidth=1, label="PyTorch (same problem)")
    ax_s.set_yscale("log")
    ax_s.set_title("J_style / J_style at step 0")
    ax_c.set_title("J_content")
    for ax in (ax_s, ax_c):
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    ax_s.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out)


if __name__ == "__main__":
    main()
