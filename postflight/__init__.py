"""postflight: the command line and pipeline that turn a post-flight dump into products."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pisar-l3")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
