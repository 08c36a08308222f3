"""Writes one label image with VTK's own XML writer in every storage a user's file may have.

Used by tests/cli.rs: the Rust test imports each file as a gde geometry and compares its
labels with the pattern below. Arguments: the output folder. Prints the file names, one per
line. The image is 6 x 5 x 4 voxels, x fastest, label = (7x + 3y + 11z) mod 4, stored as a
UInt8 point array "label" after a Float32 array "other" (so "label" has a non-zero offset in
appended data), and as a cell array in the *_cells files.
"""
import os
import sys

import vtk

NX, NY, NZ = 6, 5, 4
out = sys.argv[1]


def image(cells):
    img = vtk.vtkImageData()
    extra = 1 if cells else 0
    img.SetDimensions(NX + extra, NY + extra, NZ + extra)
    img.SetSpacing(2.0, 2.0, 2.0)
    other = vtk.vtkFloatArray()
    other.SetName("other")
    other.SetNumberOfComponents(3)
    label = vtk.vtkUnsignedCharArray()
    label.SetName("label")
    for z in range(NZ):
        for y in range(NY):
            for x in range(NX):
                v = (7 * x + 3 * y + 11 * z) % 4
                other.InsertNextTuple3(v, -1.0, 2.0)
                label.InsertNextValue(v)
    data = img.GetCellData() if cells else img.GetPointData()
    data.AddArray(other)
    data.AddArray(label)
    return img


compressors = {"none": None, "zlib": "ZLib", "lz4": "LZ4", "lzma": "LZMA"}
for cells in (False, True):
    for mode in ("ascii", "binary", "appended_base64", "appended_raw"):
        for comp, setter in compressors.items():
            if mode == "ascii" and setter is not None:
                continue
            for header in (32, 64):
                name = f"{mode}_{comp}_h{header}{'_cells' if cells else ''}.vti"
                w = vtk.vtkXMLImageDataWriter()
                w.SetFileName(os.path.join(out, name))
                w.SetInputData(image(cells))
                if mode == "ascii":
                    w.SetDataModeToAscii()
                elif mode == "binary":
                    w.SetDataModeToBinary()
                else:
                    w.SetDataModeToAppended()
                    w.SetEncodeAppendedData(1 if mode == "appended_base64" else 0)
                if setter is None:
                    w.SetCompressorTypeToNone()
                else:
                    getattr(w, "SetCompressorTypeTo" + setter)()
                if header == 64:
                    w.SetHeaderTypeToUInt64()
                else:
                    w.SetHeaderTypeToUInt32()
                if not w.Write():
                    sys.exit("VTK could not write " + name)
                print(name)
