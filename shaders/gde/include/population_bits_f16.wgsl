// The lattice merge's element for the flow's f16 population storage (gde.flow.storage =
// "f16"): 2 bytes, moved unchanged.
enable f16;

alias PopulationBits = f16;
