"""Names of the discardable attributes the `loopnest` dialect defines.

Each is spelled once, here; passes, lowering and tools import it.
"""

NAME_ATTR = "loopnest.name"
"""On an `affine.for`/`scf.for`: the name of the `loopnest.for` it was lowered
from, or the name raising gives it (a `StringAttr`)."""

GROUP_ATTR = "loopnest.group"
"""On a `loopnest.for`: a grouping request, `{loopnest.group = G}`, that
`group-loops` without `loops=` carries out."""

RUNTIME_ERRORS_ATTR = "loopnest.runtime_errors"
"""On a lowered module: the messages of its run-time checks, by position."""

IN_BOUNDS_ATTR = "loopnest.in_bounds"
"""On a lowered access: its indices were proven in bounds statically."""

ORIGIN_ATTR = "loopnest.origin"
"""On a lowered access: the name of the op it was lowered from, for run-time
messages."""
