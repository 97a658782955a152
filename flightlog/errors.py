"""The toolkit's base exception.

Every error the toolkit raises for input it cannot use (a dump, a configuration, a
calibration or line-list file, an output folder in use) derives from
:class:`PisarL3Error`, so a caller, the command line included, catches them all with one
``except`` and tells them from bugs. Each also derives from the built-in class a caller
would expect (``ValueError`` for bad content, ``OSError`` for files, ``RuntimeError`` for
state), and its message names the file, key, record or byte offset.
"""

from __future__ import annotations


class PisarL3Error(Exception):
    """Base of the toolkit's errors about unusable input or state (not bugs)."""
