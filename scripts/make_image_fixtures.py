#!/usr/bin/env python3
"""Writes the voxel-image fixtures of tests/gde_images.rs with numpy and tifffile, the way
users get them from PoreSpy and micro-CT software. The pattern is asymmetric in x, y and z
so that a swapped axis shows:  pore where (x + 2 y + 3 z) % 5 == 0, on a 12 x 10 x 8 image
indexed im[x, y, z] as PoreSpy does.

    pip install numpy tifffile && python3 scripts/make_image_fixtures.py
"""
import os
import numpy as np
import tifffile

out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "gde")
os.makedirs(out, exist_ok=True)
x, y, z = np.meshgrid(np.arange(12), np.arange(10), np.arange(8), indexing="ij")
pore = (x + 2 * y + 3 * z) % 5 == 0
# PoreSpy's convention: a boolean array, True in the pore space, C order.
np.save(os.path.join(out, "pattern_bool.npy"), pore)
# A label map in Fortran order (x fastest in memory): 0 pore, 7 solid.
np.save(os.path.join(out, "pattern_labels_fortran.npy"), np.asfortranarray(np.where(pore, 0, 7).astype(np.uint8)))
# A 16-bit grey-value stack: pages are z slices, rows y, columns x (im.transpose(2, 1, 0));
# the pore is dark (1000), the solid bright (40000).
grey = np.where(pore, 1000, 40000).astype(np.uint16)
tifffile.imwrite(os.path.join(out, "pattern_grey16.tif"), grey.transpose(2, 1, 0))
# The same as a folder of single-page 8-bit files, one per z slice.
stack = os.path.join(out, "pattern_slices")
os.makedirs(stack, exist_ok=True)
for k in range(8):
    tifffile.imwrite(os.path.join(stack, f"slice_{k:03d}.tif"), np.where(pore[:, :, k], 0, 255).astype(np.uint8).T)
print("porosity", pore.mean())
