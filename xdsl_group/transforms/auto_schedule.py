"""`auto-schedule`: choose and apply a schedule for every loop nest, built
only from the schedule passes (`interchange-loops`, `split-loops`,
`unroll-loops`, `parallelize-loops`).

The schedule is stated as a pass pipeline (`schedule_pipeline`), and the
pass applies exactly that pipeline, so what it did can be read, rerun with
`xdsl-opt -p` and changed.  Every step is one of the passes, with its own
exact legality check: a schedule the checks refuse is never applied (the
nest it was for is then left as it was), so the result always computes what
the input computes.

The cost model targets an AVX2/FMA core (16 vector registers of 8 floats)
for nests of one reduction statement `O[...] = O[...] + ...` (convolutions,
grouped and depthwise ones, matmuls):

- *register blocking*: a block of output elements, `R` rows (an output loop,
  e.g. the output channels) times `C` contiguous columns (the output loop
  indexing `O`'s last dimension), stays in registers while the reduction
  loops run.  The block loops are split off (`split-loops`), moved inside
  the reduction loops (`interchange-loops`: legal because it only
  reassociates the recognised reduction, as its exact check confirms) and
  unrolled fully (`unroll-loops`): unroll-and-jam.  About 64 accumulators
  (8 vector registers) hide the add latency with room left for operands;
  `C` is 8 (or the whole trip count when it is smaller); `R` is the largest power of
  two with `R*C <= 64` (at most the row loop's trip count).  A trip count the
  factor does not divide leaves a tail loop, itself blocked by the other
  loop.
- the row loop is the output loop (besides `C`) that minimises the operand
  loads per multiply-add of one block: a load not using a block loop is
  shared by that loop's copies;
- the outermost loop of each resulting nest that the exact dependence
  analysis proves parallel is marked (`parallelize-loops`).

A nest it cannot improve (no single reduction statement in a perfect nest,
trip counts varying with outer loops, ...) is left alone, except for the
parallel marker.  The pipeline is built phase by phase over all nests
(first all reorderings, then the splits, ...) since passes choose loops by
name: a step asked for by two nests is emitted once, and a nest whose step
would contradict another nest's (same loop name, other factor) is left
unblocked.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass, PassPipeline

from xdsl_group.analysis.loop_structure import body_ops, sole_child_loop
from xdsl_group.analysis.polyhedral import constant_trip_count
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, enclosing_loops
from xdsl_group.errors import LoopnestError
from xdsl_group.transforms.parallelize_loops import plan_parallelize

ACCUMULATORS = 64
"""Output elements kept in registers: 8 AVX2 registers of 8 floats."""
MAX_ROWS = 8
MAX_COLUMNS = 8

_PHASES = ("order", "split-rows", "sink-rows", "split-columns", "sink-columns", "unroll")
"""The pipeline runs each phase for every nest before the next phase."""


def column_factor(trip: int) -> int:
    """Columns per block for a column loop of `trip` iterations: 8 (one
    vector register; a tail takes the rest), or the whole loop if it is
    shorter.  Timed side by side with fast-math on the 64 -> 64, 56 x 56
    conv, 8 rows x 8 columns ran 1.2x faster than 4 x 14 and over 2x faster
    than 4 x 16 or 8 x 7."""
    return min(trip, MAX_COLUMNS)


def row_factor(trip: int, columns: int) -> int:
    """Rows per block: the largest power of two with rows*columns within
    the accumulators, at most `trip`."""
    rows = 1
    while rows * 2 <= MAX_ROWS and rows * 2 * columns <= ACCUMULATORS:
        rows *= 2
    return min(rows, trip)


@dataclass
class NestSchedule:
    """The steps chosen for one nest, per phase (pass specs)."""

    phases: dict[str, list[str]]

    def steps(self, phase: str) -> list[str]:
        return self.phases.get(phase, [])


def _chain(top: ForOp) -> list[ForOp]:
    chain = [top]
    while (child := sole_child_loop(chain[-1])) is not None:
        chain.append(child)
    return chain


def _order(names: Sequence[str]) -> str:
    return f"interchange-loops{{order={','.join(names)}}}"


def plan_nest(top: ForOp) -> NestSchedule | None:
    """The register-blocking steps for the nest under `top`, or None when the
    cost model does not apply to it."""
    chain = _chain(top)
    inner = body_ops(chain[-1])
    if any(isinstance(op, ForOp) for op in inner):
        return None
    stores = [op for op in inner if isinstance(op, StoreOp)]
    loads = [op for op in inner if isinstance(op, LoadOp)]
    if len(stores) != 1:
        return None
    store = stores[0]
    # Loops whose induction variable bounds a later loop stay outside.
    start = 0
    for k, loop in enumerate(chain):
        if any(loop.induction_variable in later.bound_operands for later in chain[k + 1 :]):
            start = k + 1
    band = chain[start:]
    if len(band) < 2:
        return None
    trips = {loop: constant_trip_count(loop) for loop in band}
    if any(t is None for t in trips.values()):
        return None
    ivs = {loop.induction_variable: loop for loop in band}
    out = [l for l in band if l.induction_variable in store.indices]
    red = [l for l in band if l not in out]
    if not red:
        return None
    last = store.map.data.results[-1]
    used = last.used_dims()
    last_loops = [ivs[store.indices[d]] for d in sorted(used) if store.indices[d] in ivs]
    columns = next((l for l in last_loops if l in out and (trips[l] or 0) >= 2), None)
    if columns is None:
        return None
    tc = trips[columns] or 0
    fc = column_factor(tc)

    def block_loads(row: ForOp) -> float:
        """Operand loads per multiply-add of one block (the accumulators'
        loads and stores stay outside the reduction loops)."""
        fr = row_factor(trips[row] or 0, fc)
        total = 0
        for load in loads:
            if load.memref is store.memref:
                continue
            uses = {ivs[v] for v in load.indices if v in ivs}
            total += (fr if row in uses else 1) * (fc if columns in uses else 1)
        return total / (fr * fc)

    rows_candidates = [l for l in out if l is not columns and (trips[l] or 0) >= 2]
    rows = min(rows_candidates, key=block_loads) if rows_candidates else None
    fr = row_factor(trips[rows] or 0, fc) if rows is not None else 1
    split_r = rows is not None and fr < (trips[rows] or 0)
    split_c = fc < tc
    others = [l for l in out if l is not rows and l is not columns]
    r, c = rows.name_str if rows is not None else "", columns.name_str
    r_block = f"{r}_i" if split_r else r
    c_block = f"{c}_i" if split_c else c

    def names(loops: Sequence[ForOp]) -> list[str]:
        return [l.name_str for l in loops]

    target = (
        ([r] if split_r else [])
        + names(others)
        + ([c] if split_c else [])
        + names(red)
        + ([r] if rows is not None and not split_r else [])
        + ([] if split_c else [c])
    )
    phases: dict[str, list[str]] = {p: [] for p in _PHASES}
    if target != names(band):
        phases["order"].append(_order(target))
    if split_r:
        phases["split-rows"].append(f"split-loops{{loop={r} factor={fr}}}")
        # The band from the new row loop down, the row loop innermost (above
        # a fully blocked column loop).
        below = [x for x in target[1:] if split_c or x != c]
        phases["sink-rows"].append(_order([*below, r_block, *([] if split_c else [c])]))
    if split_c:
        phases["split-columns"].append(f"split-loops{{loop={c} factor={fc}}}")
        # Inside the reductions in every nest holding it (also the row
        # loop's tail), then below the row block where there is one, so
        # that the copies of contiguous columns end up next to each other.
        phases["sink-columns"].append(_order([*names(red), c_block]))
        if rows is not None:
            phases["sink-columns"].append(f"interchange-loops{{loops={c_block},{r_block}}}")
    phases["unroll"].append(f"unroll-loops{{loop={c_block} factor=0}}")
    if rows is not None:
        phases["unroll"].append(f"unroll-loops{{loop={r_block} factor=0}}")
    return NestSchedule(phases)


def _tops(module: Operation) -> list[ForOp]:
    return [
        op
        for op in module.walk()
        if isinstance(op, ForOp) and isinstance(op.parent_op(), func.FuncOp)
    ]


def _applies(module: ModuleOp, steps: Sequence[str]) -> ModuleOp | None:
    from xdsl_group.api import apply

    if not steps:
        return module.clone()
    try:
        return apply(module, ",".join(steps))
    except LoopnestError:
        return None


def _loop_option(step: str) -> str:
    """`split-loops{loop=co` of `split-loops{loop=co factor=4}`: two steps
    with the same key but different specs contradict each other."""
    head, _, options = step.partition("{")
    return head + "{" + options.split(" ")[0]


def _combine(schedules: Sequence[NestSchedule], phases: Sequence[str] = _PHASES) -> list[str]:
    steps: list[str] = []
    for phase in phases:
        for schedule in schedules:
            for step in schedule.steps(phase):
                if step not in steps:
                    steps.append(step)
    return steps


def _conflicts(schedules: Sequence[NestSchedule], candidate: NestSchedule) -> bool:
    taken = {_loop_option(s): s for sch in schedules for p in _PHASES for s in sch.steps(p)}
    return any(
        taken.get(_loop_option(s), s) != s
        for p in _PHASES
        for s in candidate.steps(p)
        if not s.startswith("interchange-loops")
    )


def _parallel_steps(module: ModuleOp) -> list[str]:
    """Per nest, its outermost loop proved parallel (running more than once)."""
    chosen: list[str] = []
    marked: set[ForOp] = set()
    for top in _tops(module):
        for loop in top.walk():
            if not isinstance(loop, ForOp) or (constant_trip_count(loop) or 0) < 2:
                continue
            try:
                plan_parallelize(loop)
            except LoopnestError:
                continue
            # By name: skip a name that also names a loop inside or around
            # a loop already chosen (no nested parallel loops).
            same = [l for l in module.walk() if isinstance(l, ForOp) and l.name_str == loop.name_str]
            if any(
                any(o in marked for o in enclosing_loops(l))
                or any(m is not l and l.is_ancestor(m) for m in marked)
                for l in same
            ):
                continue
            step = f"parallelize-loops{{loop={loop.name_str}}}"
            if step not in chosen:
                chosen.append(step)
                marked.update(same)
            break
    return chosen


_STEPS_CACHE_SIZE = 64
_steps_lock = threading.Lock()
# key: digest of the module's text; the choice depends on nothing else.
_steps_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def schedule_steps(module: ModuleOp) -> list[str]:
    """The schedule `auto-schedule` applies to `module`, as pass specs.

    Memoised by the module's text: choosing a schedule applies trial
    pipelines, and a client typically asks for the pipeline and then
    applies the pass (or the reverse) to the same module."""
    key = hashlib.sha256(str(module).encode()).hexdigest()
    with _steps_lock:
        if key in _steps_cache:
            _steps_cache.move_to_end(key)
            return list(_steps_cache[key])
    steps = _choose_steps(module)
    with _steps_lock:
        _steps_cache[key] = tuple(steps)
        while len(_steps_cache) > _STEPS_CACHE_SIZE:
            _steps_cache.popitem(last=False)
    return steps


def _choose_steps(module: ModuleOp) -> list[str]:
    accepted: list[NestSchedule] = []
    for top in _tops(module):
        schedule = plan_nest(top)
        if schedule is None or _conflicts(accepted, schedule):
            continue
        if _applies(module, _combine([*accepted, schedule])) is not None:
            accepted.append(schedule)
    # Mark before unrolling: unrolling keeps the marker, and the proof is
    # cheaper on the rolled loops.
    steps = _combine(accepted, _PHASES[:-1])
    blocked = _applies(module, steps)
    assert blocked is not None
    for step in _parallel_steps(blocked):
        marked = _applies(blocked, [step])
        if marked is not None:
            steps.append(step)
            blocked = marked
    return steps + _combine(accepted, _PHASES[-1:])


def schedule_pipeline(module: ModuleOp) -> str:
    """The `xdsl-opt -p` pipeline `auto-schedule` would apply to `module`
    (empty when it leaves the module as it is)."""
    return ",".join(schedule_steps(module))


@dataclass(frozen=True)
class AutoSchedulePass(ModulePass):
    """Schedule every loop nest for the host CPU with the schedule passes:
    register blocking by split, interchange and full unrolling (unroll-and-
    jam of an output-row and an output-column loop inside the reduction
    loops), tails for odd sizes, the outermost provably parallel loop of each
    nest marked.  `print_pipeline=true` prints the pipeline it applies, as a
    comment line `// auto-schedule: -p '...'` before the output; the same
    string comes from `xdsl_group.schedule_pipeline(module)`.  Nests the cost
    model does not cover are left as they are; every step is checked by its
    pass, so the result computes what the input computes."""

    name = "auto-schedule"

    print_pipeline: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from xdsl_group.context import all_passes

        pipeline = schedule_pipeline(op)
        if self.print_pipeline:
            print(f"// auto-schedule: -p '{pipeline}'", flush=True)
        if pipeline:
            PassPipeline.parse_spec(all_passes(), pipeline).apply(ctx, op)
