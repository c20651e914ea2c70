"""``python -m semclust`` runs the command line."""
import sys

from semclust.cli import main

sys.exit(main())
