"""Choosing the loops a transformation works on, for passes and handles alike.

A request has *roles*, each a set of candidate loops: the loops named `co`
and those named `ci` for `group-loops{loops=co,ci}`, or the payload of two
transform handles for `transform.loopnest.group %a, %b`.  Requests apply
nest by nest: a nest is the subtree under an outermost candidate loop, and
only nests holding a candidate of every role are transformed (the others
are left alone).  Each transformation then checks how the loops of a nest
must be arranged (on one path, a perfect band, ...) with its own message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xdsl.ir import Operation

from xdsl_group.analysis.loop_structure import is_ancestor, loops_named
from xdsl_group.dialects.loopnest import ForOp, enclosing_loops

Roles = Sequence[Sequence[ForOp]]
"""Per role, its candidate loops."""


def roles_named(root: Operation, names: Sequence[str]) -> list[list[ForOp]]:
    """Per name, the loops of that name under `root`."""
    return [loops_named(root, name) for name in names]


@dataclass(frozen=True)
class Nest:
    """The candidates under one outermost candidate loop `top`."""

    top: ForOp
    members: tuple[tuple[ForOp, ...], ...]
    """Per role, its candidates inside `top` (or `top` itself), program order."""

    @property
    def loops(self) -> tuple[ForOp, ...]:
        """Every candidate of the nest, program order."""
        return tuple(
            op for op in self.top.walk() if any(op in m for m in self.members)
        )

    def single(self) -> tuple[ForOp, ...] | None:
        """One loop per role (role order), if each role has exactly one."""
        if all(len(m) == 1 for m in self.members):
            return tuple(m[0] for m in self.members)
        return None


def nests(root: Operation, roles: Roles) -> tuple[list[Nest], list[ForOp]]:
    """The nests under `root` holding a candidate of every role (program
    order), and the outermost candidates of all nests, complete or not."""
    role_of: dict[ForOp, list[int]] = {}
    for k, loops in enumerate(roles):
        for loop in loops:
            role_of.setdefault(loop, []).append(k)
    tops = [
        op
        for op in root.walk()
        if isinstance(op, ForOp)
        and op in role_of
        and not any(outer in role_of for outer in enclosing_loops(op))
    ]
    complete: list[Nest] = []
    for top in tops:
        members: list[list[ForOp]] = [[] for _ in roles]
        for op in top.walk():
            if isinstance(op, ForOp):
                for k in role_of.get(op, ()):
                    members[k].append(op)
        if all(members):
            complete.append(Nest(top, tuple(tuple(m) for m in members)))
    return complete, tops


def depth(loop: ForOp) -> int:
    """How many loops enclose `loop`."""
    return len(list(enclosing_loops(loop)))


def on_one_path(loops: Iterable[ForOp]) -> bool:
    """Each loop encloses or is enclosed by every other one."""
    loops = list(loops)
    return all(
        a is b or is_ancestor(a, b) or is_ancestor(b, a) for a in loops for b in loops
    )
