"""One-line diagnostics for the project's own errors in the stock xDSL tools.

`xdsl-opt` lets an exception raised by a verifier, a parser or a pass escape
as a Python traceback.  When an xDSL command-line tool loads our plugin,
an error that comes from *this project* (a `LoopnestError`, or any xDSL
diagnostic raised by our dialects, parsers or passes, or a bad option of one
of our passes) is printed as its message alone, MLIR style, and the tool
exits 1.  Every other error — xDSL's own ops, parsers and passes — is left
exactly as xDSL reports it.

Set `XDSL_GROUP_TRACEBACK=1` to see the full Python traceback of our errors
too (for debugging the project itself).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

_PACKAGE = __name__.split(".")[0]
TRACEBACK_ENV = "XDSL_GROUP_TRACEBACK"


def _frames(tb: TracebackType | None):  # pyright: ignore[reportUnknownParameterType]
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def _from_project(frame) -> bool:  # pyright: ignore[reportMissingParameterType]
    return str(frame.f_globals.get("__name__", "")).split(".")[0] == _PACKAGE


def _option_error_of_our_pass(value: BaseException, tb: TracebackType | None) -> bool:
    """A bad option of one of our passes in `-p`: xDSL raises it from the
    pass class's `from_pass_spec` (where `cls` is our pass)."""
    if not isinstance(value, ValueError | TypeError):
        return False
    for frame in _frames(tb):
        if frame.f_code.co_name == "from_pass_spec":
            cls = frame.f_locals.get("cls")
            module = getattr(cls, "__module__", "") or ""
            return module.split(".")[0] == _PACKAGE
    return False


def own_diagnostic(value: BaseException, tb: TracebackType | None) -> str | None:
    """The one-line message for an error of this project, else None."""
    from xdsl.utils.exceptions import DiagnosticException, ParseError

    from xdsl_group.errors import LoopnestError

    if isinstance(value, LoopnestError) or (
        isinstance(value, DiagnosticException | ParseError)
        and any(_from_project(f) for f in _frames(tb))
    ):
        message = str(value).rstrip("\n")
        if not message.lstrip().startswith(("error:", "<")) and ": error:" not in message:
            message = f"error: {message}"
        return message
    if _option_error_of_our_pass(value, tb):
        lines = [line.strip() for line in str(value).splitlines() if line.strip()]
        message = " ".join(lines[:1] + lines[-1:] if len(lines) > 1 else lines)
        return f"error: invalid pass pipeline: {message}"
    return None


def install() -> None:
    """Install the hook when running an xDSL tool (`xdsl-opt`, `xdsl-run`,
    ...), unless `XDSL_GROUP_TRACEBACK` is set; a no-op anywhere else."""
    tool = os.path.basename(sys.argv[0] if sys.argv else "")
    if not tool.startswith("xdsl-") or os.environ.get(TRACEBACK_ENV):
        return
    previous = sys.excepthook

    def hook(kind, value, tb):  # pyright: ignore[reportMissingParameterType]
        message = own_diagnostic(value, tb)
        if message is None:
            previous(kind, value, tb)
            return
        print(message, file=sys.stderr)
        sys.stderr.flush()

    sys.excepthook = hook
