"""Reads a mesolyte .vti with VTK's own XML reader and prints what it found as JSON.

Used by tests/cli.rs: the Rust test compares dimensions, spacing, origin, array names and
values with what the run should have written.
"""
import json
import sys

import vtk
from vtk.util.numpy_support import vtk_to_numpy

reader = vtk.vtkXMLImageDataReader()
reader.SetFileName(sys.argv[1])
reader.Update()
if reader.GetErrorCode() != 0:
    sys.exit("VTK could not read " + sys.argv[1])
image = reader.GetOutput()
pd = image.GetPointData()
arrays = {}
for i in range(pd.GetNumberOfArrays()):
    array = pd.GetArray(i)
    a = vtk_to_numpy(array).astype(float)
    arrays[pd.GetArrayName(i)] = {
        "components": int(array.GetNumberOfComponents()),
        "tuples": int(array.GetNumberOfTuples()),
        "count": int(a.size),
        "sum": float(a.sum()),
        "min": float(a.min()),
        "max": float(a.max()),
        "first": [float(v) for v in a.ravel()[:6]],
    }
print(json.dumps({
    "dimensions": list(image.GetDimensions()),
    "spacing": list(image.GetSpacing()),
    "origin": list(image.GetOrigin()),
    "arrays": arrays,
}))
