"""Lower `loopnest.for ... vectorize(W)` loops to `vector` operations.

Runs first in `convert-loopnest-to-affine`, so the native lowering and the
`affine` output both see vectors.  A marked loop of trip count `T` becomes
straight-line code over pieces of `W` consecutive iterations (the last one
`T mod W`): a body value that differs between iterations becomes one vector
per piece, a value that does not stays scalar (computed once, before the
pieces) and is broadcast where a vector op uses it.  Accesses are contiguous
(checked again here, see `vectorization_problem`), so a piece's load or
store is one `vector.load`/`vector.store` at the piece's first iteration.

A piece whose length is not a power of two is padded by LLVM to the next
one for arithmetic, but its loads would be split into power-of-two parts
and reassembled.  Loads from memrefs the loop does not write are therefore
`vector.maskedload`s of the padded length (the masked-off lanes are not
read) narrowed by a `vector.shuffle`: one masked load instruction on
AVX-512.  Loads from written memrefs stay plain loads of the exact length,
so that LLVM can keep them in registers across enclosing reduction loops
(it does not promote masked accesses).
"""

from __future__ import annotations

from xdsl.dialects import affine, arith, vector
from xdsl.dialects.builtin import (
    AffineMapAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    VectorType,
    i1,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap
from xdsl.rewriter import InsertPoint, Rewriter

from xdsl_group.analysis.affine_utils import compress_dims
from xdsl_group.analysis.loop_structure import body_ops
from xdsl_group.analysis.polyhedral import constant_trip_count
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp, YieldOp
from xdsl_group.errors import LoopnestError
from xdsl_group.lowering.runtime_checks import mark_in_bounds
from xdsl_group.transforms.vectorize_loops import varying_values, vectorization_problem


def lower_vector_loops(root: Operation) -> None:
    """Replace every `vectorize(W)` loop under `root` by vector operations;
    a loop that cannot be vectorised (no longer, after later
    transformations) is a `LoopnestError` at the loop, before any rewrite."""
    loops = [op for op in root.walk() if isinstance(op, ForOp) and op.vector_width is not None]
    for loop in loops:
        problem = vectorization_problem(loop)
        if problem is not None:
            raise LoopnestError(
                f"loop '{loop.name_str}' is marked vectorize({loop.vector_width_value}) "
                f"but cannot be vectorised: {problem}",
                loop,
            )
    for loop in loops:
        _Vectorizer(loop).run()


def _next_power_of_two(n: int) -> int:
    return 1 << (n - 1).bit_length()


class _Vectorizer:
    def __init__(self, loop: ForOp):
        self.loop = loop
        trip = constant_trip_count(loop)
        assert trip is not None and loop.vector_width_value is not None
        width = loop.vector_width_value
        self.pieces = [(k, min(width, trip - k)) for k in range(0, trip, width)]
        self.varying = varying_values(loop)
        self.written = {op.memref for op in body_ops(loop) if isinstance(op, StoreOp)}
        self.vectors: dict[SSAValue, list[SSAValue]] = {}
        self.broadcasts: dict[tuple[SSAValue, int], SSAValue] = {}
        self.starts: list[SSAValue] = []

    def insert(self, op: Operation, location_of: Operation | None = None) -> Operation:
        op.location = (location_of or self.loop).location
        Rewriter.insert_op(op, InsertPoint.before(self.loop))
        return op

    def run(self) -> None:
        loop = self.loop
        lb = loop.lower_bound.data
        for start, _ in self.pieces:
            m, ops = compress_dims(
                AffineMap(lb.num_dims, 0, (lb.results[0] + start,)), list(loop.bound_operands)
            )
            first: Operation
            if isinstance(m.results[0], AffineConstantExpr):
                first = arith.ConstantOp(IntegerAttr(m.results[0].value, IndexType()))
            else:
                first = affine.ApplyOp(ops, AffineMapAttr(m))
            self.starts.append(self.insert(first).results[0])
        for op in body_ops(loop):
            if isinstance(op, YieldOp):
                continue
            if not any(v in self.varying for v in op.operands):
                # The same in every iteration: once, before the pieces.
                op.detach()
                Rewriter.insert_op(op, InsertPoint.before(loop))
            elif isinstance(op, LoadOp):
                self.vectors[op.result] = [self.load(op, p) for p in range(len(self.pieces))]
            elif isinstance(op, StoreOp):
                for p in range(len(self.pieces)):
                    self.store(op, p)
            else:
                self.vectors[op.results[0]] = [self.lanewise(op, p) for p in range(len(self.pieces))]
        Rewriter.erase_op(loop, safe_erase=False)

    def indices(self, access: LoadOp | StoreOp, piece: int) -> list[SSAValue]:
        """The access's indices at the piece's first iteration."""
        iv = self.loop.induction_variable
        operands = [self.starts[piece] if v is iv else v for v in access.indices]
        values: list[SSAValue] = []
        for expr in access.map.data.results:
            if isinstance(expr, AffineDimExpr):
                values.append(operands[expr.position])
                continue
            m, ops = compress_dims(AffineMap(access.map.data.num_dims, 0, (expr,)), operands)
            values.append(self.insert(affine.ApplyOp(ops, AffineMapAttr(m)), access).results[0])
        return values

    def operand(self, value: SSAValue, piece: int, op: Operation) -> SSAValue:
        if value in self.varying:
            return self.vectors[value][piece]
        n = self.pieces[piece][1]
        key = (value, n)
        if key not in self.broadcasts:
            # One broadcast per value, at the widest piece; a shorter piece
            # takes its first lanes (a subregister, not a second broadcast).
            wide = self.pieces[0][1]
            if (value, wide) not in self.broadcasts:
                ty = VectorType(value.type, [wide])
                self.broadcasts[(value, wide)] = self.insert(
                    vector.BroadcastOp(value, ty), op
                ).results[0]
            if n != wide:
                whole = self.broadcasts[(value, wide)]
                self.broadcasts[key] = self.insert(_first_lanes(whole, n), op).results[0]
        return self.broadcasts[key]

    def load(self, op: LoadOp, piece: int) -> SSAValue:
        n = self.pieces[piece][1]
        element = op.result.type
        idx = self.indices(op, piece)
        padded = _next_power_of_two(n)
        if padded == n or op.memref in self.written:
            new = self.insert(vector.LoadOp(op.memref, idx, VectorType(element, [n])), op)
            mark_in_bounds(new)
            return new.results[0]
        mask = self.insert(
            arith.ConstantOp(
                DenseIntOrFPElementsAttr.from_list(
                    VectorType(i1, [padded]), [1] * n + [0] * (padded - n)
                ),
                VectorType(i1, [padded]),
            ),
            op,
        )
        zero = _zero(element)
        pass_thru = self.insert(
            arith.ConstantOp(
                DenseIntOrFPElementsAttr.from_list(VectorType(element, [padded]), [zero] * padded),
                VectorType(element, [padded]),
            ),
            op,
        )
        masked = self.insert(
            vector.MaskedLoadOp(
                op.memref, idx, mask.results[0], pass_thru.results[0], VectorType(element, [padded])
            ),
            op,
        )
        mark_in_bounds(masked)
        return self.insert(_first_lanes(masked.results[0], n), op).results[0]

    def store(self, op: StoreOp, piece: int) -> None:
        value = self.operand(op.value, piece, op)
        new = self.insert(vector.StoreOp(value, op.memref, self.indices(op, piece)), op)
        mark_in_bounds(new)

    def lanewise(self, op: Operation, piece: int) -> SSAValue:
        n = self.pieces[piece][1]
        operands = [self.operand(v, piece, op) for v in op.operands]
        new = op.create(
            operands=operands,
            result_types=[VectorType(r.type, [n]) for r in op.results],
            properties=dict(op.properties),
            attributes=dict(op.attributes),
        )
        return self.insert(new, op).results[0]


def _first_lanes(value: SSAValue, n: int) -> vector.ShuffleOp:
    ty = value.type
    assert isinstance(ty, VectorType)
    return vector.ShuffleOp(
        value,
        value,
        DenseArrayBase.from_list(i64, list(range(n))),
        result_type=VectorType(ty.element_type, [n]),
    )


def _zero(element: Attribute) -> int | float:
    return 0 if isinstance(element, IndexType | IntegerType) else 0.0

