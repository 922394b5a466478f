"""The one base class of every error that is the user's to fix.

Its ``str()`` is one line naming the field or file and what is allowed. The command line
prints it as ``ganviz: error: ...`` and exits with 2; the window shows it in a dialog or
the status bar. Anything else that goes wrong is a bug and keeps its traceback. No torch
here, so that the window's process can catch these without loading it.
"""

from __future__ import annotations


class UserError(ValueError):
    """A problem with the user's input (flags, config, files); ``str()`` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
