"""Front doors into `loopnest`: Python loop code (`from_python`)."""

from xdsl_group.frontend.python import PythonSourceError, from_python

__all__ = ["PythonSourceError", "from_python"]
