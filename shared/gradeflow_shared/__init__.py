"""Gradeflow's common library: contracts, topology and kit code shared by the four services."""
