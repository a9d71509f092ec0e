"""The `loopnest` dialect: affine loop nests with named loops.

A `loopnest.for` is a counted loop `for name in range(lb, ub, step)` whose
bounds are affine expressions of the induction variables of enclosing loops
and integer constants.  Its name is the handle transformations use.  Bodies
hold further loops, `loopnest.load`/`loopnest.store` (memref accesses with
affine indices) and `arith` arithmetic.  Nests may be imperfect.

Custom syntax (reads like the Python it models)::

    loopnest.for co %co in range(8) {
      loopnest.for ci %ci in range(%co floordiv 2, 8, 2) {
        %v = loopnest.load %I[%ci, %co + 1] : memref<8x9xf32>
        loopnest.store %v, %O[%co] : memref<8xf32>
      }
    }

Bounds and indices are stored as `AffineMap`s over *dims* (never symbols)
plus the SSA values bound to those dims, so they survive any printing.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    FileLineColLoc,
    FixedBitwidthType,
    IndexType,
    IntAttr,
    IntegerAttr,
    MemRefType,
    StringAttr,
    UnitAttr,
)
from xdsl.ir import Block, BlockArgument, Dialect, Operation, Region, SSAValue
from xdsl.ir.affine import (
    AffineConstantExpr,
    AffineExpr,
    AffineMap,
)
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.parser.affine_parser import AffineParser
from xdsl.printer import Printer
from xdsl.utils.lexer import Span
from xdsl.traits import (
    HasParent,
    IsTerminator,
    RecursiveMemoryEffect,
    SingleBlockImplicitTerminator,
    ensure_terminator,
)
from xdsl.utils.exceptions import VerifyException

from xdsl_group.analysis.affine_utils import (
    affine_expr_str,
    evaluate_map,
    non_affine_reason,
    substitute,
)
from xdsl_group.dialects.index_range import (
    INDEX_MAX,
    Interval,
    constants_overflow,
    expr_range,
    first_overflow,
    last_iteration,
)
from xdsl_group.errors import format_diagnostic
from xdsl_group.parse_errors import semi_affine_operator

_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]*")
_KEYWORDS = {"in", "range", "attributes"}


# --------------------------------------------------------------------------
# Affine expression helpers shared by the ops
# --------------------------------------------------------------------------


def enclosing_loops(op: Operation) -> Iterator[ForOp]:
    """The `loopnest.for` ops strictly enclosing `op`, innermost first."""
    parent = op.parent_op()
    while parent is not None:
        if isinstance(parent, ForOp):
            yield parent
        parent = parent.parent_op()


def _verify_affine_operands(
    op: Operation, what: str, maps: Sequence[AffineMap], operands: Sequence[SSAValue]
) -> None:
    for m in maps:
        if m.num_symbols != 0:
            raise VerifyException(
                f"{what} map {m} has symbols; loopnest uses dims bound to "
                "induction variables only"
            )
        if m.num_dims != len(operands):
            raise VerifyException(
                f"{what} map {m} has {m.num_dims} dims but {len(operands)} "
                "operands are given"
            )
        for e in m.results:
            if (reason := non_affine_reason(e)) is not None:
                raise VerifyException(f"{what} is not affine: {reason}")
    in_scope = {loop.induction_variable for loop in enclosing_loops(op)}
    for operand in operands:
        if operand not in in_scope:
            shown = f"%{operand.name_hint}" if operand.name_hint else "a value"
            owner = (
                operand.block.parent_op()
                if isinstance(operand, BlockArgument)
                else None
            )
            if isinstance(owner, ForOp):
                if owner is op:
                    raise VerifyException(
                        f"{what} uses the loop's own induction variable {shown}"
                    )
                raise VerifyException(
                    f"{what} uses induction variable {shown} of loop "
                    f"'{owner.loop_name.data}', which does not enclose it"
                )
            raise VerifyException(
                f"{what} uses {shown}, which is not the induction variable of an "
                "enclosing loopnest.for; bounds and indices must be affine in "
                "enclosing induction variables and constants"
            )


# --------------------------------------------------------------------------
# Overflow of index arithmetic (see `index_range`)
# --------------------------------------------------------------------------

_INDEX_TYPE = f"the 64-bit index type (at most {INDEX_MAX} in magnitude)"


def _has_verified_header(loop: ForOp) -> bool:
    """The loop's bounds are single-result dim maps over its operands and its
    step is positive (else its own verifier refuses it)."""
    n = len(loop.bound_operands)
    return loop.step_value > 0 and all(
        len(m.results) == 1 and m.num_dims == n and m.num_symbols == 0
        for m in (loop.lower_bound.data, loop.upper_bound.data)
    )


def _iv_ranges(op: Operation) -> dict[SSAValue, Interval] | None:
    """Intervals holding the induction variables of the loops enclosing `op`
    over every iteration that runs; None if one of those loops never runs
    (nothing under it is computed) or is malformed (it refuses itself)."""
    ranges: dict[SSAValue, Interval] = {}
    for loop in reversed(list(enclosing_loops(op))):
        if not _has_verified_header(loop) or any(
            v not in ranges for v in loop.bound_operands
        ):
            return None
        dims = [ranges[v] for v in loop.bound_operands]
        lb = expr_range(loop.lower_bound.data.results[0], dims)
        ub = expr_range(loop.upper_bound.data.results[0], dims)
        last = last_iteration(lb, ub, loop.step_value)
        if last is None:
            return None
        ranges[loop.induction_variable] = Interval(lb.lo, last)
    return ranges


def _lowered_form(expr: AffineExpr, num_dims: int) -> AffineExpr:
    """`expr` rebuilt the way the lowering rebuilds it (dropping unused dims
    simplifies it again, e.g. folds constants): the form native code computes."""
    return substitute(expr, [AffineExpr.dimension(i) for i in range(num_dims)])


def _verify_no_overflow(
    what: str,
    exprs: Sequence[AffineExpr],
    operands: Sequence[SSAValue],
    ranges: dict[SSAValue, Interval] | None,
) -> None:
    """Every value computing `exprs` (over `ranges` of the operands) fits the
    index type; constants must fit even where nothing runs (`ranges` None)."""
    names = [_shown(v) for v in operands]
    for expr in exprs:
        forms = [expr, _lowered_form(expr, len(operands))]
        found = next(filter(None, map(constants_overflow, forms)), None)
        if found is None and ranges is not None:
            dims = [ranges[v] for v in operands]
            found = next(filter(None, (first_overflow(f, dims) for f in forms)), None)
        if found is None:
            continue
        sub, value = found
        shown, part = affine_expr_str(expr, names), affine_expr_str(sub, names)
        if isinstance(expr, AffineConstantExpr):
            reason = f"{what} {shown} does not fit {_INDEX_TYPE}"
        elif isinstance(sub, AffineConstantExpr):
            reason = f"{what} {shown} overflows {_INDEX_TYPE}: the constant {part} does not fit"
        else:
            reason = (
                f"{what} {shown} overflows {_INDEX_TYPE}: "
                f"{'it' if part == shown else part} can reach {value}"
            )
        raise VerifyException(reason)


def _shown(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else "%<value>"


def _verify_addressable(memref_type: MemRefType) -> None:
    """The linearised offset of any element, in bytes, fits the index type."""
    size = 1
    for extent in memref_type.get_shape():
        if extent != DYNAMIC_INDEX:
            size *= extent
    element = memref_type.get_element_type()
    if isinstance(element, FixedBitwidthType):
        size *= max(1, element.size)
    if size > INDEX_MAX:
        raise VerifyException(
            f"{memref_type} has {size} bytes, more than {_INDEX_TYPE} can address"
        )


def _record_location(parser: Parser, op: Operation, start: int) -> None:
    """Attach `file:line:col` of the op's name so diagnostics can point at it.

    Parsed ops carry no location in xDSL unless the text spells `loc(...)`.
    """
    source = parser.lexer.input
    content = source.content
    if isinstance(content, bytes):
        return
    at = content.rfind(op.name, 0, start)
    if at < 0:
        at = start
    line = content.count("\n", 0, at) + 1
    col = at - (content.rfind("\n", 0, at) + 1) + 1
    op.location = FileLineColLoc(StringAttr(source.name), IntAttr(line), IntAttr(col))


_T = TypeVar("_T")


def _guarded(parser: Parser, parse: Callable[[], _T]) -> _T:
    """Run `parse` (a type or attribute of a loopnest op), turning xDSL's
    plain exceptions on semi-affine maps and too-deep nesting into
    `ParseError`s at the offending token."""
    pos = parser.pos
    try:
        return parse()
    except RecursionError:
        parser.raise_error("nested too deeply (beyond the recursion limit)", pos)
    except (NotImplementedError, ValueError, ZeroDivisionError) as e:
        found = semi_affine_operator(e.__traceback__)
        if found is None:
            raise
        parser.raise_error(found[1], found[0])


def _ssa_affine_expr_parser(
    parser: Parser,
) -> tuple[Callable[[], AffineExpr], Sequence[Span]]:
    """A parser of one affine expression over SSA values (`%a + 1`), which
    become symbols numbered in first-use order, and the spans of those values.

    This is the one use of xDSL's private parser API.  The public
    `Parser.parse_affine_map_of_ssa_ids` parses a whole `[...]` list in one
    call: it accepts no `(...)` (the `range(...)` of a loop), and a failing
    expression is reported at the list's start rather than at itself.
    """
    aff = AffineParser(parser._parser_state)  # pyright: ignore[reportPrivateUsage]
    parse_ssa, _, spans = aff._get_parse_optional_ssa_value()  # pyright: ignore
    return lambda: aff._parse_affine_expr(parse_ssa), spans  # pyright: ignore


def _parse_affine_exprs_of_ssa_ids(
    parser: Parser, delimiter: Parser.Delimiter
) -> tuple[list[AffineExpr], list[SSAValue]]:
    """Parse e.g. `(%a + 1, 2 * %b)`; SSA values become dims, in first-use order."""
    parse_expr, spans = _ssa_affine_expr_parser(parser)

    def show(e: AffineExpr) -> str:
        # The upstream helper numbers SSA values as symbols, in first-use order.
        dims = [AffineExpr.dimension(i) for i in range(len(spans))]
        return affine_expr_str(substitute(e, [], dims), [s.text for s in spans])

    def parse_one() -> AffineExpr:
        pos = parser.pos
        try:
            return parse_expr()
        except RecursionError:
            parser.raise_error(
                "expression nested too deeply (beyond the recursion limit)", pos
            )
        except (NotImplementedError, ValueError, ZeroDivisionError) as e:
            # xDSL's expression builder rejects semi-affine forms by raising.
            found = semi_affine_operator(e.__traceback__, show)
            if found is not None:
                parser.raise_error(
                    f"{found[1]}; bounds and indices allow +, -, * by a constant, "
                    "and floordiv/ceildiv/mod by a positive constant",
                    found[0],
                )
            parser.raise_error(
                f"expression is not affine ({e}); bounds and indices allow "
                "+, -, * by a constant, and floordiv/ceildiv/mod by a positive "
                "constant",
                pos,
                parser.pos,
            )

    start = parser.pos
    exprs = parser.parse_comma_separated_list(delimiter, parse_one)
    # We model the SSA values as dims.
    n = len(spans)
    dims = [AffineExpr.dimension(i) for i in range(n)]
    try:
        exprs = [e.replace_dims_and_symbols([], dims) for e in exprs]
    except RecursionError:
        parser.raise_error(
            "expression nested too deeply (beyond the recursion limit)", start, parser.pos
        )
    operands = [
        parser.resolve_operand(UnresolvedOperand(span, 0), IndexType())
        for span in spans
    ]
    return exprs, operands


def _print_affine_expr(
    printer: Printer, expr: AffineExpr, operands: Sequence[SSAValue]
) -> None:
    text = affine_expr_str(expr, [f"\0{i}\0" for i in range(len(operands))])
    # Print SSA names through the printer so they match the rest of the output.
    parts = text.split("\0")
    for k, part in enumerate(parts):
        if k % 2:
            printer.print_ssa_value(operands[int(part)])
        else:
            printer.print_string(part)


def _print_access(
    printer: Printer, memref: SSAValue, m: AffineMap, indices: Sequence[SSAValue]
) -> None:
    printer.print_ssa_value(memref)
    printer.print_string("[")
    printer.print_list(m.results, lambda e: _print_affine_expr(printer, e, indices))
    printer.print_string("] : ")
    printer.print_attribute(memref.type)


def _parse_access(
    parser: Parser,
) -> tuple[SSAValue, AffineMap, list[SSAValue], MemRefType]:
    memref = parser.parse_unresolved_operand()
    exprs, indices = _parse_affine_exprs_of_ssa_ids(parser, Parser.Delimiter.SQUARE)
    parser.parse_punctuation(":")
    pos = parser.pos
    memref_type = _guarded(parser, parser.parse_type)
    if not isinstance(memref_type, MemRefType):
        parser.raise_error("expected a memref type", pos)
    resolved = parser.resolve_operand(memref, memref_type)
    return resolved, AffineMap(len(indices), 0, tuple(exprs)), indices, memref_type


def _verify_access(op: Operation, memref: SSAValue, m: AffineMap, indices) -> None:
    memref_type = memref.type
    assert isinstance(memref_type, MemRefType)
    rank = memref_type.get_num_dims()
    if len(m.results) != rank:
        raise VerifyException(
            f"indexes a memref of rank {rank} with {len(m.results)} "
            f"ind{'ex' if len(m.results) == 1 else 'ices'}"
        )
    _verify_affine_operands(op, "index", [m], indices)
    _verify_addressable(memref_type)
    _verify_no_overflow("index", m.results, indices, _iv_ranges(op))


@contextmanager
def _located(op: Operation) -> Iterator[None]:
    """Re-raise verifier errors as one diagnostic line naming the op."""
    try:
        yield
    except VerifyException as e:
        raise VerifyException(format_diagnostic(str(e), op)) from None


# --------------------------------------------------------------------------
# Ops
# --------------------------------------------------------------------------


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminator of a `loopnest.for` body; implicit in the custom syntax."""

    name = "loopnest.yield"

    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(ForOp)))

    assembly_format = "attr-dict"

    def __init__(self):
        super().__init__()


@irdl_op_definition
class ForOp(IRDLOperation):
    """A named counted loop `for name in range(lower_bound, upper_bound, step)`.

    `lower_bound` and `upper_bound` are single-result affine maps over the same
    dims, bound to `bound_operands`: induction variables of enclosing loops.

    `parallel` (unit property, spelled `parallel` after the range) asserts that
    the iterations are independent, so they may run concurrently in any order.
    It is a promise made by whoever sets it (`parallelize-loops` proves it);
    the native lowering relies on it when running on several threads.

    `vector_width` (spelled `vectorize(W)` after the range) asks the native
    lowering to run the iterations in lockstep, `W` at a time, as vector
    operations.  Like `parallel` it is a promise that no iteration depends on
    another (`vectorize-loops` proves it and checks that the body can be
    vectorised); every other backend runs the loop in order.
    """

    name = "loopnest.for"

    bound_operands = var_operand_def(IndexType())
    loop_name = prop_def(StringAttr)
    lower_bound = prop_def(AffineMapAttr)
    upper_bound = prop_def(AffineMapAttr)
    step = prop_def(IntegerAttr[IndexType])
    parallel = opt_prop_def(UnitAttr)
    vector_width = opt_prop_def(IntegerAttr[IndexType])

    body = region_def("single_block")

    traits = traits_def(
        SingleBlockImplicitTerminator(YieldOp),
        RecursiveMemoryEffect(),
    )

    def __init__(
        self,
        loop_name: str | StringAttr,
        lower_bound: AffineMap | int,
        upper_bound: AffineMap | int,
        bound_operands: Sequence[SSAValue] = (),
        step: int = 1,
        body: Region | Block | Sequence[Operation] | None = None,
        parallel: bool = False,
        vector_width: int | None = None,
    ):
        if isinstance(loop_name, str):
            loop_name = StringAttr(loop_name)
        n = len(bound_operands)
        if isinstance(lower_bound, int):
            lower_bound = AffineMap(n, 0, (AffineExpr.constant(lower_bound),))
        if isinstance(upper_bound, int):
            upper_bound = AffineMap(n, 0, (AffineExpr.constant(upper_bound),))
        if body is None:
            body = Block(arg_types=(IndexType(),))
        if isinstance(body, Block):
            body = Region(body)
        elif not isinstance(body, Region):
            block = Block(body, arg_types=(IndexType(),))
            body = Region(block)
        super().__init__(
            operands=[bound_operands],
            properties={
                "loop_name": loop_name,
                "lower_bound": AffineMapAttr(lower_bound),
                "upper_bound": AffineMapAttr(upper_bound),
                "step": IntegerAttr(step, IndexType()),
            }
            | ({"parallel": UnitAttr()} if parallel else {})
            | (
                {"vector_width": IntegerAttr(vector_width, IndexType())}
                if vector_width is not None
                else {}
            ),
            regions=[body],
        )
        if body.blocks and body.block.args and not body.block.args[0].name_hint:
            if _BARE_NAME.fullmatch(loop_name.data):
                body.block.args[0].name_hint = loop_name.data
        ensure_terminator(self, SingleBlockImplicitTerminator(YieldOp))

    # -- convenience accessors ---------------------------------------------

    @property
    def induction_variable(self) -> BlockArgument:
        return self.body.block.args[0]

    @property
    def name_str(self) -> str:
        return self.loop_name.data

    @property
    def step_value(self) -> int:
        return self.step.value.data

    @property
    def is_parallel(self) -> bool:
        return self.parallel is not None

    @is_parallel.setter
    def is_parallel(self, value: bool) -> None:
        self.parallel = UnitAttr() if value else None

    @property
    def vector_width_value(self) -> int | None:
        """`W` of `vectorize(W)`, or None when the loop is not vectorised."""
        return self.vector_width.value.data if self.vector_width is not None else None

    @vector_width_value.setter
    def vector_width_value(self, value: int | None) -> None:
        self.vector_width = IntegerAttr(value, IndexType()) if value is not None else None

    def bound_values(self, env: dict[SSAValue, int]) -> tuple[int, int]:
        """Evaluate (lb, ub) given the values of the bound operands."""
        dims = [env[v] for v in self.bound_operands]
        return (
            evaluate_map(self.lower_bound.data, dims)[0],
            evaluate_map(self.upper_bound.data, dims)[0],
        )

    def constant_bounds(self) -> tuple[int, int] | None:
        lb, ub = self.lower_bound.data.results[0], self.upper_bound.data.results[0]
        if isinstance(lb, AffineConstantExpr) and isinstance(ub, AffineConstantExpr):
            return lb.value, ub.value
        return None

    # -- verification --------------------------------------------------------

    def verify_(self) -> None:
        with _located(self):
            self._verify()

    def _verify(self) -> None:
        name = self.loop_name.data
        if not name:
            raise VerifyException("the loop name is empty")
        if self.step.value.data <= 0:
            raise VerifyException(
                f"step {self.step.value.data} is not positive"
            )
        width = self.vector_width_value
        if width is not None and width <= 0:
            raise VerifyException(f"the vector width {width} is not positive")
        block = self.body.block
        if len(block.args) != 1 or not isinstance(block.args[0].type, IndexType):
            raise VerifyException(
                "the body must have exactly one index argument (the induction "
                "variable)"
            )
        for which, m in (
            ("lower", self.lower_bound.data),
            ("upper", self.upper_bound.data),
        ):
            if len(m.results) != 1:
                raise VerifyException(
                    f"{which} bound map {m} must have one result"
                )
        _verify_affine_operands(
            self,
            "bound",
            [self.lower_bound.data, self.upper_bound.data],
            self.bound_operands,
        )
        for outer in enclosing_loops(self):
            if outer.loop_name.data == name:
                raise VerifyException(
                    f"loop name '{name}' is already used by an enclosing loop; "
                    "loop names must be unique along each path of a nest"
                )
        self._verify_index_arithmetic()

    def _verify_index_arithmetic(self) -> None:
        """Bounds, induction variable and its increment fit the index type.

        Native loops compute `iv + step` after every iteration, the last one
        included, before comparing with the upper bound."""
        step = self.step_value
        if step > INDEX_MAX:
            raise VerifyException(f"step {step} does not fit {_INDEX_TYPE}")
        ranges = _iv_ranges(self)
        lb_expr = self.lower_bound.data.results[0]
        ub_expr = self.upper_bound.data.results[0]
        _verify_no_overflow("lower bound", [lb_expr], self.bound_operands, ranges)
        _verify_no_overflow("upper bound", [ub_expr], self.bound_operands, ranges)
        if ranges is None:
            return
        dims = [ranges[v] for v in self.bound_operands]
        lb, ub = expr_range(lb_expr, dims), expr_range(ub_expr, dims)
        last = last_iteration(lb, ub, step)
        if last is not None and last + step > INDEX_MAX:
            iv = _shown(self.induction_variable)
            raise VerifyException(
                f"the increment {iv} + {step} after the last iteration overflows "
                f"{_INDEX_TYPE}: {iv} can be {last}, so {iv} + {step} reaches "
                f"{last + step}"
            )

    # -- custom syntax -------------------------------------------------------

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        name = self.loop_name.data
        if _BARE_NAME.fullmatch(name) and name not in _KEYWORDS:
            printer.print_string(name)
        else:
            printer.print_string_literal(name)
        printer.print_string(" ")
        printer.print_ssa_value(self.induction_variable)
        printer.print_string(" in range(")
        operands = self.bound_operands
        lb = self.lower_bound.data.results[0]
        ub = self.upper_bound.data.results[0]
        step = self.step.value.data
        if not (isinstance(lb, AffineConstantExpr) and lb.value == 0 and step == 1):
            _print_affine_expr(printer, lb, operands)
            printer.print_string(", ")
        _print_affine_expr(printer, ub, operands)
        if step != 1:
            printer.print_string(f", {step}")
        printer.print_string(")")
        if self.is_parallel:
            printer.print_string(" parallel")
        if self.vector_width is not None:
            printer.print_string(f" vectorize({self.vector_width.value.data})")
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" ")
        printer.print_region(
            self.body,
            print_entry_block_args=False,
            print_empty_block=False,
            print_block_terminators=False,
        )

    @classmethod
    def parse(cls, parser: Parser) -> ForOp:
        start = parser.pos
        name_pos = parser.pos
        name = parser.parse_optional_str_literal()
        if name is None:
            name = parser.parse_optional_identifier()
        if name is None:
            # xDSL lexes a string with non-ASCII escapes (`"\C3\A9"`, how
            # the printer spells `é`) as bytes: decode them back.
            raw = parser.parse_optional_bytes_literal()
            try:
                name = raw.decode() if raw is not None else None
            except UnicodeDecodeError:
                parser.raise_error("the loop name is not valid UTF-8", name_pos)
        if name is None:
            parser.raise_error("expected a loop name (identifier or string)", name_pos)
        iv = parser.parse_argument(expect_type=False)
        parser.parse_keyword("in")
        parser.parse_keyword("range")
        range_pos = parser.pos
        exprs, operands = _parse_affine_exprs_of_ssa_ids(
            parser, Parser.Delimiter.PAREN
        )
        step = 1
        if len(exprs) == 1:
            lb, ub = AffineExpr.constant(0), exprs[0]
        elif len(exprs) in (2, 3):
            lb, ub = exprs[0], exprs[1]
            if len(exprs) == 3:
                if not isinstance(exprs[2], AffineConstantExpr):
                    parser.raise_error("the step must be an integer constant", range_pos)
                step = exprs[2].value
        else:
            parser.raise_error("range takes 1 to 3 arguments", range_pos)
        parallel = parser.parse_optional_keyword("parallel") is not None
        vector_width = None
        if parser.parse_optional_keyword("vectorize") is not None:
            parser.parse_punctuation("(")
            vector_width = parser.parse_integer(allow_boolean=False, allow_negative=True)
            parser.parse_punctuation(")")
        attrs = _guarded(parser, parser.parse_optional_attr_dict_with_keyword)
        body = parser.parse_region((iv.resolve(IndexType()),))
        n = len(operands)
        op = cls(
            name,
            AffineMap(n, 0, (lb,)),
            AffineMap(n, 0, (ub,)),
            operands,
            step,
            body,
            parallel,
            vector_width,
        )
        if attrs is not None:
            op.attributes |= attrs.data
        _record_location(parser, op, start)
        return op


@irdl_op_definition
class LoadOp(IRDLOperation):
    """`%v = loopnest.load %A[affine indices] : memref<...>`"""

    name = "loopnest.load"

    memref = operand_def(MemRefType)
    indices = var_operand_def(IndexType())
    map = prop_def(AffineMapAttr)
    result = result_def()

    def __init__(
        self, memref: SSAValue, indices: Sequence[SSAValue], map: AffineMap | None = None
    ):
        memref_type = memref.type
        assert isinstance(memref_type, MemRefType)
        if map is None:
            map = AffineMap.identity(len(indices))
        super().__init__(
            operands=[memref, indices],
            properties={"map": AffineMapAttr(map)},
            result_types=[memref_type.get_element_type()],
        )

    def verify_(self) -> None:
        with _located(self):
            self._verify()

    def _verify(self) -> None:
        memref_type = self.memref.type
        assert isinstance(memref_type, MemRefType)
        if self.result.type != memref_type.get_element_type():
            raise VerifyException(
                f"result type {self.result.type} does not match the element type "
                f"of {memref_type}"
            )
        _verify_access(self, self.memref, self.map.data, self.indices)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        _print_access(printer, self.memref, self.map.data, self.indices)
        printer.print_op_attributes(self.attributes, print_keyword=True)

    @classmethod
    def parse(cls, parser: Parser) -> LoadOp:
        start = parser.pos
        memref, m, indices, _ = _parse_access(parser)
        op = cls(memref, indices, m)
        if (attrs := _guarded(parser, parser.parse_optional_attr_dict_with_keyword)) is not None:
            op.attributes |= attrs.data
        _record_location(parser, op, start)
        return op


@irdl_op_definition
class StoreOp(IRDLOperation):
    """`loopnest.store %v, %A[affine indices] : memref<...>`"""

    name = "loopnest.store"

    value = operand_def()
    memref = operand_def(MemRefType)
    indices = var_operand_def(IndexType())
    map = prop_def(AffineMapAttr)

    def __init__(
        self,
        value: SSAValue,
        memref: SSAValue,
        indices: Sequence[SSAValue],
        map: AffineMap | None = None,
    ):
        if map is None:
            map = AffineMap.identity(len(indices))
        super().__init__(
            operands=[value, memref, indices],
            properties={"map": AffineMapAttr(map)},
        )

    def verify_(self) -> None:
        with _located(self):
            self._verify()

    def _verify(self) -> None:
        memref_type = self.memref.type
        assert isinstance(memref_type, MemRefType)
        if self.value.type != memref_type.get_element_type():
            raise VerifyException(
                f"stored value of type {self.value.type} does not match the "
                f"element type of {memref_type}"
            )
        _verify_access(self, self.memref, self.map.data, self.indices)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.value)
        printer.print_string(", ")
        _print_access(printer, self.memref, self.map.data, self.indices)
        printer.print_op_attributes(self.attributes, print_keyword=True)

    @classmethod
    def parse(cls, parser: Parser) -> StoreOp:
        start = parser.pos
        value = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        memref, m, indices, memref_type = _parse_access(parser)
        resolved = parser.resolve_operand(value, memref_type.get_element_type())
        op = cls(resolved, memref, indices, m)
        if (attrs := _guarded(parser, parser.parse_optional_attr_dict_with_keyword)) is not None:
            op.attributes |= attrs.data
        _record_location(parser, op, start)
        return op


Loopnest = Dialect("loopnest", [ForOp, YieldOp, LoadOp, StoreOp], [])

AccessOp = LoadOp | StoreOp
