#!/usr/bin/env python3
"""Times TauFactor 2 on the voxels of a gde scenario, for the side-by-side figures in
docs/performance.md. Export the voxels first, then solve each axis with TauFactor's periodic
solver (the scenarios' sides are periodic), on the CPU:

    mesolyte validate scenarios/gde-gdl-diffusivity.toml --geometry-out gdl.vti
    pip install taufactor numpy
    python3 scripts/taufactor_compare.py gdl.vti --axes z x --conv-crit 1e-3

`--conv-crit` is TauFactor's own stop: (max - min) / max of the plane fluxes, checked every
100 iterations (its default 1e-2), with the change of tau between checks below 2e-3.
mesolyte's `gde.species.tolerance` is (max - min) / mean of the plane currents, which is the
larger of the two for the same fluxes.
Each line gives the axis, the wall time of the solve alone (the solver's set-up and the
solve, not Python's start or the file read), the iterations and D_eff/D.
"""
import argparse
import base64
import re
import time

import numpy as np


def read_labels(path):
    """The `label` array of a .vti written by `mesolyte validate --geometry-out` (binary,
    base64, UInt64 header, Float32 values), as an [x, y, z] array."""
    text = open(path).read()
    extent = [int(v) for v in re.search(r'WholeExtent="([^"]+)"', text).group(1).split()]
    n = [extent[1] - extent[0] + 1, extent[3] - extent[2] + 1, extent[5] - extent[4] + 1]
    data = re.search(r'Name="label"[^>]*format="binary"[^>]*>\s*([^<\s]+)', text).group(1)
    raw = base64.b64decode(data)
    values = np.frombuffer(raw[8:], dtype="<f4")
    # VTK image data: x fastest.
    return values.reshape(n[2], n[1], n[0]).transpose(2, 1, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("vti")
    parser.add_argument("--axes", nargs="+", default=["z", "x"], choices=["x", "y", "z"])
    parser.add_argument("--conv-crit", type=float, default=1e-2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()

    import torch
    import taufactor

    if args.threads:
        torch.set_num_threads(args.threads)
    labels = read_labels(args.vti)
    pore = (labels == 0).astype(np.uint8)
    print(f"image {pore.shape}, porosity {pore.mean():.4f}, taufactor, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    total = 0.0
    for axis in args.axes:
        a = "xyz".index(axis)
        # TauFactor's transport axis is the first array axis.
        img = np.ascontiguousarray(np.moveaxis(pore, a, 0))
        start = time.perf_counter()
        solver = taufactor.PeriodicSolver(img, device="cpu")
        solver.solve(verbose=False, conv_crit=args.conv_crit)
        seconds = time.perf_counter() - start
        total += seconds
        d_rel = float(np.ravel(solver.D_rel)[0])
        print(f"{axis}: {seconds:.2f} s, {solver.iter} iterations, D_eff/D {d_rel:.6f}")
    print(f"total {total:.2f} s")


if __name__ == "__main__":
    main()
