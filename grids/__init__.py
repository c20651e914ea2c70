"""Resource package: the shipped grids (found through semclust.resources)."""
