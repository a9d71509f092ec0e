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

PARALLEL_ATTR = "loopnest.parallel"
"""Unit attribute on the `affine.for`/`scf.for` lowered from a `loopnest.for`
marked `parallel`, read when its loop is outlined for threads."""

CHUNK_ATTR = "loopnest.parallel_chunk"
"""On a trampoline declaration of an outlined `parallel` loop, until
`finish_parallel_regions`: the chunk function it stands for."""
