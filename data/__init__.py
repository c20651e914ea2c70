"""Resource package: the bundled demo set (``demo/``) and its deterministic generator."""
