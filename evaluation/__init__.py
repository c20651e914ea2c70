"""semclust evaluation: agreement, cluster quality, interpretability, report."""
