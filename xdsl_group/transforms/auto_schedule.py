"""`auto-schedule`: choose and apply a schedule for every loop nest, built
only from the schedule passes (`interchange-loops`, `split-loops`,
`unroll-loops`, `parallelize-loops`).

The schedule is stated as a pass pipeline (`schedule_pipeline`), and the
pass applies exactly that pipeline, so what it did can be read, rerun with
`xdsl-opt -p` and changed.  Every step is one of the passes, with its own
exact legality check: a schedule the checks refuse is never applied (the
nest it was for is then left as it was), so the result always computes what
the input computes.

The cost model targets a core with FMA and `registers` vector registers of
`vector_bits` bits (by default the host's: 16 or 32 registers, and the
width LLVM vectorises with there, e.g. 256 bits on AVX2 cores and on Rocket
Lake, 512 on Zen 4) for nests of one reduction statement
`O[...] = O[...] + ...` (convolutions, grouped and depthwise ones,
matmuls):

- *register blocking*: a block of output elements, `R` rows (an output loop,
  e.g. the output channels) times `C` contiguous columns (the output loop
  indexing `O`'s last dimension), stays in registers while the reduction
  loops run.  The block loops are split off (`split-loops`), moved inside
  the reduction loops (`interchange-loops`: legal because it only
  reassociates the recognised reduction, as its exact check confirms) and
  unrolled fully (`unroll-loops`): unroll-and-jam.  About 64 accumulators
  (8 vector registers) hide the add latency with room left for operands;
  `R` (a power of two) and `C` (whole vectors, or the whole trip count) are
  those of least estimated cycles (`nest_cycles`: FMA and load port
  pressure, latency, tails) among the blocks that fit in the registers.  A
  trip count the factor does not divide leaves a tail loop, itself blocked
  by the other loop.
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
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass, PassPipeline

from xdsl_group.analysis.affine_utils import linear_form, used_dims
from xdsl_group.analysis.loop_structure import body_ops, sole_child_loop
from xdsl_group.analysis.polyhedral import constant_trip_count
from xdsl_group.dialects.loopnest import (
    ForOp,
    LoadOp,
    StoreOp,
    enclosing_loops,
)
from xdsl_group.errors import LoopnestError
from xdsl_group.transforms.parallelize_loops import plan_parallelize
from xdsl_group.transforms.vectorize_loops import body_vectorization_problem

VECTOR_BITS = 256
"""The vector width schedules are made for when the host's is not asked
for (`vector_bits=0` asks for it): AVX2's."""
MAX_ROWS = 16
MAX_COLUMN_VECTORS = 4
FMA_PORTS = 2
LOAD_PORTS = 2
FMA_LATENCY = 4
"""Cycles; with `FMA_PORTS` this asks for 8 independent accumulators."""
MAX_UNROLLED = 320
"""Copies of the statement the unrolled blocks of one nest may make (full
and tail blocks together): beyond that, compile time and code size grow
with no gain (the blocks are already large enough to hide latency)."""
STEP_OVERHEAD = 1.0
"""Cycles per reduction step of a block beyond its FMAs and loads (address
arithmetic, loop control), which favours larger blocks on a tie."""


_PHASES = ("order", "split-rows", "sink-rows", "split-columns", "sink-columns", "unroll")
"""The pipeline runs each phase for every nest before the next phase."""


def host_vector_bits() -> int:
    """The width (bits) of the vectors LLVM vectorises with on the host."""
    from xdsl_group.jit import host_vector_bits as probe

    return probe()


def host_vector_registers() -> int:
    """Vector registers of the host: 32 with AVX-512 (EVEX encodes ymm16-31),
    else 16."""
    from xdsl_group.jit import host_cpu_features

    return 32 if "+avx512f" in host_cpu_features() else 16


def vector_count(columns: int, lanes: int, vectorized: bool = False) -> int:
    """Registers one row of `columns` contiguous elements takes: vectorised
    by `vectorize-loops`, whole vectors of `lanes` and one (shorter) vector
    for the rest; else as LLVM's SLP vectoriser packs unrolled copies, the
    rest in power-of-two pieces (12 floats on 16 lanes: 8 + 4, two
    registers)."""
    whole, rest = divmod(columns, lanes)
    if vectorized:
        return whole + (rest > 0)
    return whole + rest.bit_count()


@dataclass(frozen=True)
class Block:
    """A register block: `rows` x `columns` output elements; `column_vectors`
    registers per row."""

    rows: int
    columns: int
    lanes: int
    vectorized: bool = False

    @property
    def column_vectors(self) -> int:
        return vector_count(self.columns, self.lanes, self.vectorized)

    def accumulators(self) -> int:
        return self.rows * self.column_vectors

    def registers(self) -> int:
        """Accumulators, plus the column operand and one broadcast."""
        return self.accumulators() + self.column_vectors + 1


def step_cycles(
    rows: int,
    columns: int,
    lanes: int,
    operands: Sequence[tuple[bool, bool, bool]],
    vectorized: bool = False,
) -> float:
    """Estimated cycles of one reduction step (one iteration of the
    innermost reduction loop) of a `rows` x `columns` block.  `operands`
    says, for each operand load, whether it uses the row loop, the column
    loop, and whether it is contiguous along the columns (one vector load
    per register instead of one load per column).  `vectorized`: the
    columns are a `vectorize-loops` loop (see `vector_count`)."""
    vectors = vector_count(columns, lanes, vectorized)
    fmas = rows * vectors
    loads = 0
    for uses_row, uses_column, contiguous in operands:
        per_row = (vectors if contiguous else columns) if uses_column else 1
        loads += (rows if uses_row else 1) * per_row
    return max(fmas / FMA_PORTS, loads / LOAD_PORTS, FMA_LATENCY) + STEP_OVERHEAD


def nest_cycles(
    row_trip: int,
    column_trip: int,
    rows: int,
    columns: int,
    lanes: int,
    operands: Sequence[tuple[bool, bool, bool]],
    vectorized: bool = False,
) -> float:
    """Estimated cycles per reduction step of the whole rows x columns
    output: full blocks plus the tail blocks (which are blocked and unrolled
    too)."""
    total = 0.0
    for r, nr in ((rows, row_trip // rows), (row_trip % rows, 1)):
        for c, nc in ((columns, column_trip // columns), (column_trip % columns, 1)):
            if r and c and nr and nc:
                total += nr * nc * step_cycles(r, c, lanes, operands, vectorized)
    return total


def unrolled_copies(
    row_trip: int, column_trip: int, rows: int, columns: int, lanes: int = 0
) -> int:
    """Statement copies the unrolled full and tail blocks make (with `lanes`,
    vectorised columns: one copy per vector)."""
    row_sizes = {rows} | ({row_trip % rows} if row_trip % rows else set())
    column_sizes = {columns} | ({column_trip % columns} if column_trip % columns else set())
    per_row = (lambda c: -(-c // lanes)) if lanes else (lambda c: c)
    return sum(r * per_row(c) for r in row_sizes for c in column_sizes)


def ranked_blocks(
    row_trip: int,
    column_trip: int,
    lanes: int,
    registers: int,
    operands: Sequence[tuple[bool, bool, bool]],
    max_unrolled: int = MAX_UNROLLED,
    wide: bool = False,
    vectorized: bool = False,
) -> list[tuple[float, int, int]]:
    """The (estimated cycles, rows, columns) of the blocks that fit in
    `registers`, best first (`nest_cycles`): rows a power of two up to
    `MAX_ROWS` (or the whole row loop), columns a multiple of the vector
    length up to `MAX_COLUMN_VECTORS` vectors (or the whole column loop).
    Ties go to the larger block, then to more columns.

    `wide` (512-bit vectors) narrows the choice to what ran fastest on
    Zen 4, whose FMA units take a 512-bit operation as two 256-bit halves
    (one per cycle, so four accumulators hide the latency): column blocks
    of 1, 2 or 4 vectors (or the whole column loop) and at most half the
    registers as accumulators, the rest for the operands of the reduction
    steps LLVM unrolls and overlaps.  Whole 54-column rows (20
    accumulators) ran about 10 % slower than 32-column blocks on the
    G=8 and G=16 64->64 convolutions there, timed side by side (with
    the 6-column rest in SLP-packed 4 + 2 pieces).

    `vectorized`: the column block is a `vectorize-loops` loop, whose rest
    takes one register."""
    row_options = {r for r in (1, 2, 4, 8, 16) if r <= min(row_trip, MAX_ROWS)}
    if row_trip <= MAX_ROWS:
        row_options.add(row_trip)
    counts = (1, 2, 4) if wide else range(1, MAX_COLUMN_VECTORS + 1)
    column_options = {
        v * lanes for v in counts if v <= MAX_COLUMN_VECTORS and v * lanes <= column_trip
    }
    if column_trip <= MAX_COLUMN_VECTORS * lanes:
        column_options.add(column_trip)
    ranked: list[tuple[tuple[float, int, int], tuple[float, int, int]]] = []
    for r in sorted(row_options):
        for c in sorted(column_options):
            block = Block(r, c, lanes, vectorized)
            if block.registers() > registers:
                continue
            if wide and block.accumulators() > registers // 2:
                continue
            copies = unrolled_copies(row_trip, column_trip, r, c, lanes if vectorized else 0)
            if r * c > 1 and copies > max_unrolled:
                continue
            cost = nest_cycles(row_trip, column_trip, r, c, lanes, operands, vectorized)
            ranked.append(((cost, -(r * c), -c), (cost, r, c)))
    ranked.sort()
    if not ranked:
        r, c = 1, min(column_trip, lanes)
        return [(nest_cycles(row_trip, column_trip, r, c, lanes, operands, vectorized), r, c)]
    return [block for _, block in ranked]


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


def _operand_shape(
    load: LoadOp, ivs: dict[SSAValue, ForOp], row: ForOp | None, column: ForOp
) -> tuple[bool, bool, bool]:
    """(uses the row loop, uses the column loop, contiguous along the
    columns: the column loop appears only in the last index, with
    coefficient 1)."""
    uses: set[ForOp] = {ivs[v] for v in load.indices if v in ivs}
    results = load.map.data.results
    contiguous = False
    if column in uses:
        dims = [d for d, v in enumerate(load.indices) if v is column.induction_variable]
        last = linear_form(results[-1]) if results else None
        contiguous = (
            last is not None
            and all(last[0].get(d, 0) in (0, 1) for d in dims)
            and sum(last[0].get(d, 0) for d in dims) == 1
            and not any(d in used_dims(e) for e in results[:-1] for d in dims)
        )
    return row is not None and row in uses, column in uses, contiguous


def plan_nest(
    top: ForOp,
    registers: int = 16,
    max_unrolled: int = MAX_UNROLLED,
    vector_bits: int = VECTOR_BITS,
    rank: int = 0,
    vectorize: bool = True,
) -> NestSchedule | None:
    """The register-blocking steps for the nest under `top`, or None when the
    cost model does not apply to it.  `rank` takes the block (and row loop)
    of that rank in the model's estimate instead of the best (the last one
    when there are fewer): the candidates a measured search times.

    With `vectorize`, column blocks whose accesses are all contiguous in the
    column loop or independent of it become `vectorize-loops` loops of the
    vector length (a rest of any length is one shorter vector); others are
    unrolled for LLVM's SLP vectoriser (a rest in power-of-two pieces)."""
    chain = _chain(top)
    inner = body_ops(chain[-1])
    if any(isinstance(op, ForOp) for op in inner):
        return None
    stores = [op for op in inner if isinstance(op, StoreOp)]
    loads = [op for op in inner if isinstance(op, LoadOp)]
    if len(stores) != 1:
        return None
    store = stores[0]
    element = store.memref.type.element_type
    width = getattr(element, "bitwidth", 32)
    lanes = max(1, vector_bits // width)
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
    operand_loads = [l for l in loads if l.memref is not store.memref]
    vectorized = vectorize and _vectorizable(inner, columns)

    def blocks_for(row: ForOp | None) -> list[tuple[float, int, int]]:
        """(cycles per row-loop iteration, rows, columns), best first."""
        operands = [_operand_shape(l, ivs, row, columns) for l in operand_loads]
        tr = (trips[row] or 1) if row is not None else 1
        ranked = ranked_blocks(
            tr,
            tc,
            lanes,
            registers,
            operands,
            max_unrolled,
            wide=vector_bits >= 512,
            vectorized=vectorized,
        )
        return [(cost / tr, fr, fc) for cost, fr, fc in ranked]

    rows_candidates = [l for l in out if l is not columns and (trips[l] or 0) >= 2]
    options = sorted(
        (
            ((cost, k, -(fr * fc), -fc), (l, fr, fc))
            for k, l in enumerate(rows_candidates or [None])
            for cost, fr, fc in blocks_for(l)
        ),
        key=lambda o: o[0],
    )
    rows, fr, fc = options[min(rank, len(options) - 1)][1]
    split_r = rows is not None and fr < (trips[rows] or 0)
    split_c = fc < tc
    tail_r = split_r and (trips[rows] or 0) % fr != 0
    tail_c = split_c and tc % fc != 0
    others = [l for l in out if l is not rows and l is not columns]
    r, c = rows.name_str if rows is not None else "", columns.name_str
    r_block = f"{r}_i" if split_r else r
    c_block = f"{c}_i" if split_c else c
    r_blocks = [r_block] + ([f"{r}_tail"] if tail_r else [])
    c_blocks = [c_block] + ([f"{c}_tail"] if tail_c else [])

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
        # a fully blocked column loop); the row tail's nest likewise, so
        # that it is a (smaller) register block too.
        below = [x for x in target[1:] if split_c or x != c]
        for block in r_blocks:
            phases["sink-rows"].append(_order([*below, block, *([] if split_c else [c])]))
    if split_c:
        phases["split-columns"].append(f"split-loops{{loop={c} factor={fc}}}")
        # Inside the reductions in every nest holding it (the column tail
        # too), then below the row block where there is one, so that the
        # copies of contiguous columns end up next to each other.
        for block in c_blocks:
            phases["sink-columns"].append(_order([*names(red), block]))
        if rows is not None:
            for cb in c_blocks:
                for rb in r_blocks:
                    phases["sink-columns"].append(f"interchange-loops{{loops={cb},{rb}}}")
    for block in c_blocks:
        if vectorized:
            phases["unroll"].append(f"vectorize-loops{{loop={block} width={lanes}}}")
        else:
            phases["unroll"].append(f"unroll-loops{{loop={block} factor=0}}")
    if rows is not None:
        for block in r_blocks:
            phases["unroll"].append(f"unroll-loops{{loop={block} factor=0}}")
    return NestSchedule(phases)


def _vectorizable(body: Sequence[Operation], columns: ForOp) -> bool:
    """Whether the column loop, once innermost around `body`, passes
    `vectorize-loops`' body checks (its dependences are those of the nest's
    output loop, which carries none)."""
    return columns.step_value == 1 and (
        body_vectorization_problem(body, columns.induction_variable, columns.name_str) is None
    )


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


def _parallel_steps(module: ModuleOp, unrolled: Collection[str] = ()) -> list[str]:
    """Per nest, its outermost loop proved parallel (running more than once),
    among the loops not named in `unrolled` (fully unrolled later)."""
    chosen: list[str] = []
    marked: set[ForOp] = set()
    for top in _tops(module):
        for loop in top.walk():
            if not isinstance(loop, ForOp) or (constant_trip_count(loop) or 0) < 2:
                continue
            if loop.name_str in unrolled:
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
# key: digest of the module's text and the options; the choice depends on nothing else.
_steps_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()


def schedule_steps(
    module: ModuleOp,
    registers: int | None = None,
    max_unrolled: int = MAX_UNROLLED,
    vector_bits: int | None = None,
) -> list[str]:
    """The schedule `auto-schedule` applies to `module`, as pass specs, for
    a core with `registers` vector registers of `vector_bits` bits (default:
    the host's), making at most `max_unrolled` copies of a nest's statement.

    Memoised by the module's text and the options: choosing a schedule
    applies trial pipelines, and a client typically asks for the pipeline
    and then applies the pass (or the reverse) to the same module."""
    if registers is None:
        registers = host_vector_registers()
    if vector_bits is None:
        vector_bits = host_vector_bits()
    text = f"{registers}:{max_unrolled}:{vector_bits}:{module}"
    key = hashlib.sha256(text.encode()).hexdigest()
    with _steps_lock:
        if key in _steps_cache:
            _steps_cache.move_to_end(key)
            return list(_steps_cache[key])
    steps = _choose_steps(module, registers, max_unrolled, vector_bits)
    with _steps_lock:
        _steps_cache[key] = tuple(steps)
        while len(_steps_cache) > _STEPS_CACHE_SIZE:
            _steps_cache.popitem(last=False)
    return steps


def _choose_steps(
    module: ModuleOp, registers: int, max_unrolled: int, vector_bits: int, rank: int = 0
) -> list[str]:
    accepted: list[NestSchedule] = []
    for top in _tops(module):
        for vectorize in (True, False):
            schedule = plan_nest(top, registers, max_unrolled, vector_bits, rank, vectorize)
            if schedule is None or _conflicts(accepted, schedule):
                continue
            if _applies(module, _combine([*accepted, schedule])) is not None:
                accepted.append(schedule)
                break
    # Mark before unrolling: unrolling keeps the marker, and the proof is
    # cheaper on the rolled loops.
    steps = _combine(accepted, _PHASES[:-1])
    blocked = _applies(module, steps)
    assert blocked is not None
    unrolls = _combine(accepted, _PHASES[-1:])
    # (and vectorised: those stay innermost)
    unrolled = {_loop_option(u).partition("loop=")[2] for u in unrolls}
    for step in _parallel_steps(blocked, unrolled):
        marked = _applies(blocked, [step])
        if marked is not None:
            steps.append(step)
            blocked = marked
    return steps + unrolls


def schedule_pipeline(
    module: ModuleOp,
    registers: int | None = None,
    max_unrolled: int = MAX_UNROLLED,
    vector_bits: int | None = None,
) -> str:
    """The `xdsl-opt -p` pipeline `auto-schedule` would apply to `module`
    (empty when it leaves the module as it is), for a core with `registers`
    vector registers (default: the host's: 32 with AVX-512, else 16) of
    `vector_bits` bits (default: the width LLVM vectorises with on the
    host)."""
    return ",".join(schedule_steps(module, registers, max_unrolled, vector_bits))


def candidate_pipelines(
    module: ModuleOp,
    count: int,
    registers: int | None = None,
    max_unrolled: int = MAX_UNROLLED,
    vector_bits: int | None = None,
) -> list[str]:
    """Up to `count` distinct schedules for `module`, the model's best
    first (`schedule_pipeline`'s), then those of its next-ranked blocks (the
    same rank in every nest): what `xdsl_group.tune` times."""
    if registers is None:
        registers = host_vector_registers()
    if vector_bits is None:
        vector_bits = host_vector_bits()
    pipelines = [schedule_pipeline(module, registers, max_unrolled, vector_bits)]
    rank = 1
    # A nest with fewer options repeats its last: a few ranks past `count`
    # still find new schedules for the others.
    while len(pipelines) < count and rank < 4 * count:
        steps = ",".join(_choose_steps(module, registers, max_unrolled, vector_bits, rank))
        if steps not in pipelines:
            pipelines.append(steps)
        rank += 1
    return pipelines


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
    pass, so the result computes what the input computes.
    `registers=N` schedules for a core with N vector registers (default 0:
    the host's, 32 with AVX-512, else 16) and `vector_bits=N` for vectors of
    N bits (default 0: the width LLVM vectorises with on the host, 512 on
    Zen 4, 256 on AVX2 cores and on Rocket Lake), e.g. to reproduce a
    schedule made for another machine.  `max_unrolled=N` (default 320) bounds the copies
    of a nest's statement the unrolled blocks make: smaller blocks compile
    faster."""

    name = "auto-schedule"

    print_pipeline: bool = False
    registers: int = 0
    max_unrolled: int = MAX_UNROLLED
    vector_bits: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from xdsl_group.context import all_passes

        if self.registers < 0 or self.registers == 1:
            raise LoopnestError(
                f"auto-schedule: registers must be 0 (the host's) or at least 2, got {self.registers}"
            )
        if self.max_unrolled < 1:
            raise LoopnestError(
                f"auto-schedule: max_unrolled must be at least 1, got {self.max_unrolled}"
            )
        if self.vector_bits < 0 or self.vector_bits % 32:
            raise LoopnestError(
                "auto-schedule: vector_bits must be 0 (the host's) or a positive "
                f"multiple of 32, got {self.vector_bits}"
            )
        pipeline = schedule_pipeline(
            op, self.registers or None, self.max_unrolled, self.vector_bits or None
        )
        if self.print_pipeline:
            print(f"// auto-schedule: -p '{pipeline}'", flush=True)
        if pipeline:
            PassPipeline.parse_spec(all_passes(), pipeline).apply(ctx, op)
