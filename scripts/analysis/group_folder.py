"""The one argument of the analysis scripts: a finished sweep group's folder."""

from __future__ import annotations

import sys
from pathlib import Path


def group_folder_argument() -> Path:
    """``sys.argv[1]`` when it is a folder holding ``checkpoint.pt``; else the usage in one
    line and exit 2."""
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "checkpoint.pt").is_file():
        print(f"usage: python scripts/analysis/{Path(sys.argv[0]).name} GROUP_FOLDER "
              "(a finished sweep group's folder, holding checkpoint.pt)", file=sys.stderr)
        sys.exit(2)
    return Path(sys.argv[1])
