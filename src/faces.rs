//! One vocabulary for what a domain face does, shared by the models' kernels and the
//! solvers (WGSL: shaders/common/faces.wgsl, whose FACE_* codes are these). Each model reads
//! its own scenario keys (diffusion's `bc_x`, gde's axes and drives) and states them in these
//! terms, so a code means the same in every kernel.

/// A face's kind, as the GPU code kernels compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceKind {
    /// Joined to the opposite face (both sides of an axis, or neither).
    Periodic = 0,
    /// Nothing crosses it: a wall for flow, no flux for diffusion, species and solvers.
    Closed = 1,
    /// The value is held on the face: a concentration, a potential, or an open lattice
    /// face's pressure.
    Dirichlet = 2,
    /// A flux through the face is given: a diffusive flux, or a velocity inlet's mass flux.
    Flux = 3,
}

/// A face's kind with its value (where the kind has one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaceCondition {
    /// No flux through the face.
    Closed,
    /// The value held on the face (half a cell beyond the outer cell centres).
    Dirichlet(f64),
    /// This flux per unit area enters the domain through the face.
    Flux(f64),
    /// Joined to the opposite face.
    Periodic,
}

impl FaceCondition {
    pub fn kind(self) -> FaceKind {
        match self {
            FaceCondition::Closed => FaceKind::Closed,
            FaceCondition::Dirichlet(_) => FaceKind::Dirichlet,
            FaceCondition::Flux(_) => FaceKind::Flux,
            FaceCondition::Periodic => FaceKind::Periodic,
        }
    }

    /// The GPU code and value (0 where the kind has none).
    pub fn gpu(self) -> (u32, f32) {
        let value = match self {
            FaceCondition::Dirichlet(v) | FaceCondition::Flux(v) => v as f32,
            _ => 0.0,
        };
        (self.kind() as u32, value)
    }
}

#[cfg(test)]
mod tests {
    use super::FaceKind;

    /// The WGSL constants of shaders/common/faces.wgsl are the Rust codes.
    #[test]
    fn wgsl_face_codes_are_the_rust_ones() {
        let source = crate::gpu::shaders::raw("common/faces.wgsl").unwrap();
        let module = naga::front::wgsl::parse_str(source).unwrap();
        let value = |name: &str| -> u32 {
            let (_, c) = module
                .constants
                .iter()
                .find(|(_, c)| c.name.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("{name} missing from common/faces.wgsl"));
            match module.global_expressions[c.init] {
                naga::Expression::Literal(naga::Literal::U32(v)) => v,
                ref other => panic!("{name}: {other:?}"),
            }
        };
        for (name, kind) in [
            ("FACE_PERIODIC", FaceKind::Periodic),
            ("FACE_CLOSED", FaceKind::Closed),
            ("FACE_DIRICHLET", FaceKind::Dirichlet),
            ("FACE_FLUX", FaceKind::Flux),
        ] {
            assert_eq!(value(name), kind as u32, "{name}");
        }
    }
}
