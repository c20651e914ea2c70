"""Resource package: the shipped templates (found through semclust.resources)."""
