#!/usr/bin/env python3
"""Picture of a dendrite snapshot without ParaView: deposit height map and a mid-plane slice.

    python3 scripts/dendrite_picture.py runs/dendrite-3d/dendrite-3d_0020.vti out.png

Reads the uncompressed binary .vti files mesolyte writes (inline base64, one header word of
byte count per array), and draws, for a 3D snapshot, the height of the metal (furthest x with
xi > 0.5) over the electrode (y, z) next to a slice of the Li-ion concentration through the
middle of the domain; for a 2D snapshot, xi and c side by side. Needs numpy and matplotlib.
"""
import base64
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np


def read_vti(path):
    root = ET.parse(path).getroot()
    header = np.uint64 if root.get("header_type", "UInt32") == "UInt64" else np.uint32
    image = root.find("ImageData")
    extent = [int(v) for v in image.get("WholeExtent").split()]
    shape = [extent[2 * i + 1] - extent[2 * i] + 1 for i in range(3)]
    spacing = [float(v) for v in image.get("Spacing").split()]
    arrays = {}
    for node in root.iter("DataArray"):
        raw = base64.b64decode(re.sub(r"\s+", "", node.text or ""))
        count = int(np.frombuffer(raw[: np.dtype(header).itemsize], header)[0])
        data = np.frombuffer(raw[np.dtype(header).itemsize :][:count], np.float32)
        comps = int(node.get("NumberOfComponents", "1"))
        # VTK order: x fastest, then y, then z -> index as [z, y, x].
        arrays[node.get("Name")] = data.reshape(shape[2], shape[1], shape[0], comps)[..., 0]
    return shape, spacing, arrays


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    src, dst = sys.argv[1], sys.argv[2]
    (nx, ny, nz), (dx, _, _), a = read_vti(src)
    xi, c = a["xi"], a["c_li_mol_m3"]
    um = dx * 1e6
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    if nz > 1:
        metal = xi > 0.5
        # Height: index of the furthest metal cell in each (z, y) column, plus one.
        height = np.where(metal.any(axis=2), nx - np.argmax(metal[:, :, ::-1], axis=2), 0) * um
        im = axes[0].imshow(height, origin="lower", extent=[0, ny * um, 0, nz * um], cmap="viridis")
        axes[0].set_title("deposit height (µm), xi > 0.5")
        axes[0].set_xlabel("y (µm)")
        axes[0].set_ylabel("z (µm)")
        fig.colorbar(im, ax=axes[0])
        mid = nz // 2
        im = axes[1].imshow(c[mid], origin="lower", extent=[0, nx * um, 0, ny * um], cmap="magma")
        axes[1].contour(xi[mid], levels=[0.5], colors="white", linewidths=0.8,
                        extent=[0, nx * um, 0, ny * um])
        axes[1].set_title(f"Li+ (mol/m³) at z = {mid * um:.0f} µm, white: xi = 0.5")
    else:
        for ax, field, name, cmap in [(axes[0], xi, "xi", "gray"), (axes[1], c, "Li+ (mol/m³)", "magma")]:
            im = ax.imshow(field[0], origin="lower", extent=[0, nx * um, 0, ny * um], cmap=cmap)
            ax.set_title(name)
            fig.colorbar(im, ax=ax)
    axes[1].set_xlabel("x (µm), electrode at 0")
    axes[1].set_ylabel("y (µm)")
    fig.suptitle(src.split("/")[-1])
    fig.tight_layout()
    fig.savefig(dst, dpi=90)


if __name__ == "__main__":
    main()
