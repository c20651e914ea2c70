"""semclust pipeline: study folder, ingest, describe, embed, reduce, cluster, keywords, grid."""
