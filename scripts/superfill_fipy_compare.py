#!/usr/bin/env python3
"""Centre-line and field heights against time: a mesolyte superfill run beside FiPy's
simpleTrenchSystem (the recording in tests/data/superfill/fipy_trench_5nm.csv).

Usage:
    mesolyte run scenarios/superfill-trench-2d.toml --out runs/trench --set run.output_every=0.1
    python3 scripts/superfill_fipy_compare.py runs/trench/metrics.csv docs/images/superfill_fipy.png

Needs matplotlib. Heights are above the trench's bottom in both.
"""
import csv
import sys


def read(path):
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(lines))


def main():
    ours_path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "superfill_fipy.png"
    fipy_path = sys.argv[3] if len(sys.argv) > 3 else "tests/data/superfill/fipy_trench_5nm.csv"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours, fipy = read(ours_path), read(fipy_path)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for rows, label, style in [(fipy, "FiPy 4.0.3", "--"), (ours, "mesolyte", "-")]:
        t = [float(r["time_s"]) for r in rows]
        for key, name in [("centre_height_m", "centre"), ("field_height_m", "field")]:
            h = [float(r[key]) * 1e6 for r in rows]
            ax.plot(t, h, style, label=f"{label}: {name}")
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("surface height above the trench bottom (µm)")
    ax.set_title("simpleTrenchSystem, 5 nm cells")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
