"""Structural queries on `loopnest` programs: finding loops by name, paths,
perfectly nested bands, and access spelling for diagnostics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from xdsl_group.dialects.loopnest import (
    ForOp,
    LoadOp,
    StoreOp,
    YieldOp,
    affine_expr_str,
    enclosing_loops,
)
from xdsl_group.errors import LoopnestError


def loops_named(root: Operation, name: str) -> list[ForOp]:
    """Every `loopnest.for` called `name` under `root`, in program order."""
    return [op for op in root.walk() if isinstance(op, ForOp) and op.name_str == name]


def all_loop_names(root: Operation) -> set[str]:
    return {op.name_str for op in root.walk() if isinstance(op, ForOp)}


def require_known(root: Operation, names: Iterable[str], option: str) -> None:
    """Refuse a request naming a loop that exists nowhere in `root`."""
    known = all_loop_names(root)
    for name in names:
        if name not in known:
            raise LoopnestError(
                f"{option}: no loop named '{name}' in the module"
                + (f" (loops: {', '.join(sorted(known))})" if known else " (it has no loops)")
            )


def body_ops(loop: ForOp) -> list[Operation]:
    """The loop body's operations without its terminator."""
    return [op for op in loop.body.block.ops if not isinstance(op, YieldOp)]


def sole_child_loop(loop: ForOp) -> ForOp | None:
    """The loop directly inside `loop` if it is the body's only operation."""
    ops = body_ops(loop)
    if len(ops) == 1 and isinstance(ops[0], ForOp):
        return ops[0]
    return None


def is_ancestor(outer: Operation, inner: Operation) -> bool:
    return outer is not inner and outer.is_ancestor(inner)


def enclosing_function(op: Operation) -> func.FuncOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        parent = parent.parent_op()
    return parent


def names_on_path(loop: ForOp) -> set[str]:
    """Names of the loops enclosing `loop`, of `loop` itself and of every loop
    inside it: a loop wrapped around `loop` must avoid all of them."""
    names = {outer.name_str for outer in enclosing_loops(loop)}
    names |= {op.name_str for op in loop.walk() if isinstance(op, ForOp)}
    return names


def value_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "%<value>"


def loop_names_of(op: Operation) -> dict[SSAValue, str]:
    """The IV of every loop enclosing `op`, spelled with the loop's name."""
    return {loop.induction_variable: loop.name_str for loop in enclosing_loops(op)}


def access_str(op: LoadOp | StoreOp) -> str:
    """`load of %A[i - 1, j + 1]`, indices spelled with loop names."""
    ivs = loop_names_of(op)
    names = [ivs.get(v, value_name(v)) for v in op.indices]
    idx = ", ".join(affine_expr_str(e, names) for e in op.map.data.results)
    kind = "store to" if isinstance(op, StoreOp) else "load of"
    text = f"{kind} {value_name(op.memref)}[{idx}]"
    loc = op.location
    line = getattr(loc, "line", None)
    if line is not None:
        text += f" (line {line.data})"
    return text


def perfect_chain(top: ForOp, depth: int) -> list[ForOp] | None:
    """`top` and the `depth - 1` loops below it if each is the only operation
    of its parent's body; None if the nest is not that deep and perfect."""
    chain = [top]
    while len(chain) < depth:
        child = sole_child_loop(chain[-1])
        if child is None:
            return None
        chain.append(child)
    return chain


def join_names(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
