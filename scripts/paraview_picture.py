#!/usr/bin/env pvpython
"""One PNG of a mesolyte run, drawn by ParaView.

    pvpython scripts/paraview_picture.py runs/dendrite-nucleation-2d --field xi --contour xi=0.5

(without a display: pvpython --force-offscreen-rendering scripts/paraview_picture.py ...)

Opens the run's <name>.pvd time series (the run folder, which must hold exactly one .pvd, or
the .pvd itself), takes one snapshot (default the last; a number picks the nearest stored
time), colours a point array (default the first) with the perceptually uniform 'Viridis
(matplotlib)' map over that snapshot's range (vectors by magnitude) and saves a screenshot.
2D runs (one z layer) are seen straight down z in parallel projection; 3D runs show a slice
through the domain centre normal to --slice, or with --slice none the outline and the outer
surface. --contour FIELD=LEVEL adds that iso-line/surface in white. Prints the PNG's path.
"""
import argparse
import glob
import os
import sys

PRESET = "Viridis (matplotlib)"


def fail(message):
    sys.exit("paraview_picture.py: error: " + message)


def parse_time(text):
    if text in ("last", "first"):
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected last, first or seconds, got %r" % text)


def parse_contour(text):
    field, _, level = text.partition("=")
    try:
        if field:
            return field, float(level)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError("expected FIELD=LEVEL such as xi=0.5, got %r" % text)


def parse_size(text):
    try:
        width, height = (int(v) for v in text.lower().split("x"))
        if width > 0 and height > 0:
            return width, height
    except ValueError:
        pass
    raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT such as 1200x900, got %r" % text)


def parse_args():
    parser = argparse.ArgumentParser(
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Render one snapshot of a mesolyte run (.pvd of .vti files) to a PNG with\n"
        "ParaView. Run it with pvpython (--help also works with plain python3).",
        epilog="examples:\n"
        "  pvpython scripts/paraview_picture.py runs/dendrite-nucleation-2d --contour xi=0.5\n"
        "  pvpython scripts/paraview_picture.py runs/superfill/superfill.pvd --field theta \\\n"
        "      --contour phi_m=0 --time 12.5 --size 1600x1000")
    add = parser.add_argument
    add("run", metavar="RUN_FOLDER_OR_PVD", help="run folder holding one .pvd, or a .pvd file")
    add("--field", metavar="NAME", help="point array to colour by (default: the first one)")
    add("--time", type=parse_time, default="last", metavar="last|first|SECONDS",
        help="snapshot to draw; a number picks the nearest stored time (default: last)")
    add("--contour", type=parse_contour, metavar="FIELD=LEVEL",
        help="add the LEVEL iso-line/surface of FIELD in white, e.g. xi=0.5 or phi_m=0")
    add("--slice", choices=["x", "y", "z", "none"], default="z",
        help="3D runs: normal of the centre slice, or none for outline + surface (default: z)")
    add("--out", metavar="FILE.png", help="image to write (default: FOLDER/<name>_paraview.png)")
    add("--size", type=parse_size, default=(1200, 900), metavar="WxH",
        help="image size in pixels (default: 1200x900)")
    return parser.parse_args()


def find_pvd(path):
    if os.path.isdir(path):
        found = sorted(glob.glob(os.path.join(path, "*.pvd")))
        if not found:
            fail("no .pvd file in %s (is it a mesolyte run folder?)" % path)
        if len(found) > 1:
            names = ", ".join(os.path.basename(p) for p in found)
            fail("several .pvd files in %s (%s); pass the one you want" % (path, names))
        return found[0]
    if not os.path.isfile(path):
        fail("%s does not exist" % path)
    if not path.lower().endswith(".pvd"):
        fail("%s is neither a run folder nor a .pvd file" % path)
    return path


def pick_time(times, wanted):
    if not times:
        return None  # a collection without time stamps: nothing to choose
    if wanted in ("first", "last"):
        return min(times) if wanted == "first" else max(times)
    return min(times, key=lambda t: abs(t - wanted))


def main():
    args = parse_args()
    pvd = find_pvd(args.run)
    name = os.path.splitext(os.path.basename(pvd))[0]
    out = os.path.abspath(args.out or os.path.join(os.path.dirname(pvd), name + "_paraview.png"))
    width, height = args.size

    # Imported only now, so --help and argument mistakes are answered without ParaView.
    try:
        import paraview.simple as pvs
    except ImportError:
        fail("cannot import paraview.simple; run this script with ParaView's pvpython")

    reader = pvs.PVDReader(FileName=pvd)
    raw = reader.TimestepValues
    try:
        times = [float(t) for t in raw]
    except TypeError:  # a single time step can come back as a bare number
        times = [] if raw is None else [float(raw)]
    time = pick_time(times, args.time)

    view = pvs.GetActiveViewOrCreate("RenderView")
    view.ViewSize = [width, height]  # so the camera fit below uses the image's aspect ratio
    if time is not None:
        scene = pvs.GetAnimationScene()
        scene.UpdateAnimationUsingDataTimeSteps()
        scene.AnimationTime = view.ViewTime = time
    # Run the reader at that time, so array names, ranges and bounds describe this snapshot.
    reader.UpdatePipeline(time)

    point_data = reader.PointData
    arrays = point_data.keys()
    if not arrays:
        fail("%s has no point arrays" % pvd)
    field = args.field or arrays[0]
    for wanted in [field] + ([args.contour[0]] if args.contour else []):
        if wanted not in arrays:
            fail("no point array %r in %s; available: %s" % (wanted, pvd, ", ".join(arrays)))
    is_vector = point_data[field].GetNumberOfComponents() > 1
    # Component -1 asks vtkPVArrayInformation for the vector magnitude's range. It is the
    # whole snapshot's range, so a slice keeps the colour scale of the full domain.
    low, high = point_data[field].GetRange(-1 if is_vector else 0)
    if high <= low:  # a uniform field (e.g. the first snapshot) would give an empty colour map
        pad = abs(low) * 1e-3 or 1e-12
        low, high = low - pad, high + pad

    bounds = reader.GetDataInformation().GetBounds()
    centre = [0.5 * (bounds[2 * i] + bounds[2 * i + 1]) for i in range(3)]
    span = max(bounds[2 * i + 1] - bounds[2 * i] for i in range(3)) or 1.0
    # Values sit at cell centres, so a 2D run (one z layer) has no extent along z at all.
    is_2d = bounds[5] <= bounds[4]
    slice_axis = None if is_2d or args.slice == "none" else "xyz".index(args.slice)

    shown = reader
    if slice_axis is not None:
        shown = pvs.Slice(Input=reader)
        shown.SliceType = "Plane"
        shown.SliceType.Origin = centre
        shown.SliceType.Normal = [1.0 if i == slice_axis else 0.0 for i in range(3)]
    display = pvs.Show(shown, view)
    display.Representation = "Surface"
    if not is_2d and slice_axis is None:
        pvs.ColorBy(pvs.Show(pvs.Outline(Input=reader), view), None)

    pvs.ColorBy(display, ("POINTS", field, "Magnitude") if is_vector else ("POINTS", field))
    lut = pvs.GetColorTransferFunction(field)
    if not lut.ApplyPreset(PRESET, True):
        print("warning: no colour map preset %r, keeping the default" % PRESET, file=sys.stderr)
    lut.AutomaticRescaleRangeMode = "Never"  # keep exactly this snapshot's range
    lut.RescaleTransferFunction(low, high)
    bar = pvs.GetScalarBar(lut, view)
    bar.Title = field
    bar.ComponentTitle = "Magnitude" if is_vector else ""
    display.SetScalarBarVisibility(view, True)

    if args.contour:
        contour_field, level = args.contour
        info = point_data[contour_field]
        if info.GetNumberOfComponents() != 1:  # the Contour filter needs a scalar array
            fail("--contour needs a one-component array; %s has %d components"
                 % (contour_field, info.GetNumberOfComponents()))
        c_low, c_high = info.GetRange(0)
        if not c_low <= level <= c_high:
            print("note: %s=%g is outside its range [%g, %g] at this time: no contour"
                  % (contour_field, level, c_low, c_high), file=sys.stderr)
        # Contouring what is shown (the slice of a 3D run) gives the line where the
        # iso-surface cuts the plane; a full iso-surface would hide the slice behind it.
        contour = pvs.Contour(Input=shown)
        contour.ContourBy = ["POINTS", contour_field]
        contour.Isosurfaces = [level]
        contour_display = pvs.Show(contour, view)
        pvs.ColorBy(contour_display, None)
        contour_display.AmbientColor = contour_display.DiffuseColor = [1.0, 1.0, 1.0]
        contour_display.LineWidth = 2.0
        if shown is reader and not is_2d:
            display.Opacity = 0.35  # else the opaque outer faces hide the iso-surface inside

    # Look along the axis the picture is flat in: z for 2D runs, the slice normal for 3D
    # slices (from -y for a y slice, so x still grows to the right); else an oblique view.
    axis = 2 if is_2d else slice_axis
    if axis is None:
        direction, up = [1.0, -1.0, 0.8], [0.0, 0.0, 1.0]
    else:
        direction = [(-1.0 if axis == 1 else 1.0) if i == axis else 0.0 for i in range(3)]
        up = [0.0, 1.0, 0.0] if axis == 2 else [0.0, 0.0, 1.0]
    view.CameraParallelProjection = 0 if axis is None else 1
    view.OrientationAxesVisibility = 0 if is_2d else 1
    view.CameraFocalPoint = centre
    view.CameraPosition = [centre[i] + 3.0 * span * direction[i] for i in range(3)]
    view.CameraViewUp = up
    view.ResetCamera()  # fit the data in view, keeping the direction set above
    pvs.Render(view)

    os.makedirs(os.path.dirname(out), exist_ok=True)
    if not pvs.SaveScreenshot(out, view, ImageResolution=[width, height]):
        fail("ParaView could not write %s" % out)
    print(out)


if __name__ == "__main__":
    main()
