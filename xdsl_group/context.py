"""An xDSL context with every upstream dialect, `loopnest` and its
`transform.loopnest` extension registered."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.context import Context
from xdsl.dialects import get_all_dialects
from xdsl.passes import ModulePass
from xdsl.transforms import get_all_passes


def make_context() -> Context:
    from xdsl_group.universe import UNIVERSE

    ctx = Context(allow_unregistered=False)
    for name, factory in {**get_all_dialects(), **UNIVERSE.all_dialects}.items():
        ctx.register_dialect(name, factory)
    # Loaded up front so that `transform.loopnest` ops (which load with it)
    # parse wherever they appear.
    ctx.load_registered_dialect("loopnest")
    return ctx


def all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    from xdsl_group.universe import UNIVERSE

    return {**get_all_passes(), **UNIVERSE.all_passes}
