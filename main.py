"""``python main.py``: opens the window; ``python main.py train|bench ...`` runs headless."""

import sys

from ganviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
