// What a domain face does, in one vocabulary for every model and the solvers (Rust: FaceKind
// in src/faces.rs; tests check the two agree). Each kernel's parameters hold one code per
// face (low and high side of each axis) and, where it needs one, the face's value.
//   FACE_PERIODIC   joined to the opposite face (both sides of an axis, or neither)
//   FACE_CLOSED     nothing crosses it: a wall (flow), no flux (diffusion, species, solvers)
//   FACE_DIRICHLET  the value is held on the face: a concentration, a potential, or the
//                   pressure of an open lattice face
//   FACE_FLUX       a flux through it is given: a diffusive flux, or the mass flux of a
//                   velocity inlet
const FACE_PERIODIC: u32 = 0u;
const FACE_CLOSED: u32 = 1u;
const FACE_DIRICHLET: u32 = 2u;
const FACE_FLUX: u32 = 3u;
