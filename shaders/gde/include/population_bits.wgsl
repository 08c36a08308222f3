// The element the lattice merge (gde/lattice_merge.wgsl) moves populations as: their bits,
// 4 bytes for the flow's f32 and the species' i32 fixed point. The f16 storage of the flow
// swaps in gde/include/population_bits_f16.wgsl.
alias PopulationBits = u32;
