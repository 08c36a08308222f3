// The operator of solvers/include/operator.wgsl in its stored form: the including shader
// declares the arrays gx, gy, gz (each cell's +x, +y, +z face) and diag of the level it
// reads. Every level's form but a matrix-free fine level's
// (solvers/include/operator_conductivity.wgsl, swapped in for this file).

fn face_up(info: GridInfo, k: vec3<u32>, i: u32, axis: u32) -> f32 {
    if (axis == 0u) {
        return gx[i];
    }
    if (axis == 1u) {
        return gy[i];
    }
    return gz[i];
}

fn diagonal_on(info: GridInfo, k: vec3<u32>, i: u32) -> f32 {
    return diag[i];
}
