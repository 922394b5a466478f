"""``python -m ganviz``: the same as the ``ganviz`` command (and ``python main.py`` in a
checkout): the window, or ``train``, ``compare``, ``sweep``... headless."""

import sys

from ganviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
