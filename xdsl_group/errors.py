"""The project's exception type and its one-line diagnostics."""

from __future__ import annotations

import re

from xdsl.dialects.builtin import FileLineColLoc, StringAttr
from xdsl.ir import Operation
from xdsl.utils.exceptions import PassFailedException

_FORMATTED = re.compile(r"^(\S+:\d+:\d+: )?error: ")


def format_diagnostic(
    message: str, op: Operation | None = None, severity: str = "error"
) -> str:
    """`[file:line:col: ]error: ['op.name' op (loop 'x'): ]message`, MLIR style
    (`severity` "note" for a line attached to an error)."""
    if op is None and _FORMATTED.match(message):
        return message
    where = ""
    subject = ""
    if op is not None:
        loc = op.location
        if isinstance(loc, FileLineColLoc):
            where = f"{loc.filename.data}:{loc.line.data}:{loc.column.data}: "
        subject = f"'{op.name}' op"
        loop_name = op.properties.get("loop_name")
        if isinstance(loop_name, StringAttr):
            subject += f" (loop '{loop_name.data}')"
        subject += ": "
    return f"{where}{severity}: {subject}{message}"


class LoopnestError(PassFailedException):
    """Raised when a pass, the frontend or the runtime refuses its input.

    `str(err)` is a single diagnostic line; `err.reason` is the bare reason and
    `err.op` the offending operation (if any).  Subclasses xDSL's
    `PassFailedException`, so `xdsl-opt --verify-diagnostics` reports it like
    a verifier error.
    """

    def __init__(self, reason: str, op: Operation | None = None):
        self.reason = reason
        self.op = op
        super().__init__(format_diagnostic(reason, op))


class TransformationError(LoopnestError):
    """A loop transformation refused the loops it was given.

    `op` is the loop the message points at; `loops` are the loops the request
    named (the message names them too, and the dependence when there is one).
    """

    def __init__(self, reason: str, op: Operation | None = None, loops: tuple[Operation, ...] = ()):
        self.loops = loops
        super().__init__(reason, op)
