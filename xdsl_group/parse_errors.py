"""Turn every failure of parsing or verifying MLIR text into one diagnostic line.

xDSL 0.74 reports most bad input as a `ParseError` or `VerifyException`, but
some inputs make it raise plain Python exceptions: semi-affine maps
(`affine_map<(d0)[s0] -> (d0 * s0)>`, `floordiv s0`) raise
`NotImplementedError` from the affine expression builder, deeply nested input
exhausts the recursion limit, and a few upstream verifiers index or assert
without checking.  These helpers give each a `file:line:col: error: ...`
line, at the offending token when the parser state or the traceback tells
where it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import TracebackType

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr, UnknownLoc
from xdsl.ir import Operation
from xdsl.ir.affine import AffineExpr
from xdsl.parser import Parser
from xdsl.parser.affine_parser import AffineParser
from xdsl.utils.exceptions import DiagnosticException, ParseError

from xdsl_group.analysis.affine_utils import affine_expr_str
from xdsl.utils.lexer import Span

from xdsl_group.errors import LoopnestError


class LocatingParser(Parser):
    """xDSL's parser, giving every parsed op without a `loc(...)` the
    `file:line:col` of its name, so diagnostics about any op (not only the
    `loopnest` ones, which record their own) can point at the source."""

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):
            content = start.input.content
            if isinstance(content, str):
                at = content.find(op.name, start.start)
                if at > 0 and content[at - 1] == '"':  # generic form
                    at -= 1
                if at >= 0:
                    line = content.count("\n", 0, at) + 1
                    col = at - (content.rfind("\n", 0, at) + 1) + 1
                    op.location = FileLineColLoc(
                        StringAttr(start.input.name), IntAttr(line), IntAttr(col)
                    )
        return op


def span_location(span: Span[str] | Span[bytes]) -> str:
    loc = span.get_location()
    return f"{loc.file}:{loc.line}:{loc.col}"


def parse_error_diagnostic(e: ParseError) -> LoopnestError:
    """`file:line:col: error: msg` for xDSL's multi-line `ParseError`."""
    msg = " ".join(e.msg.split())
    return LoopnestError(f"{span_location(e.span)}: error: {msg}")


def semi_affine_operator(
    tb: TracebackType | None, show: Callable[[AffineExpr], str] | None = None
) -> tuple[Span[str] | Span[bytes], str] | None:
    """Where and why xDSL's affine parser refused a semi-affine operation:
    the operator token of the innermost binary expression it was building
    when `tb` was raised, and the reason (operands rendered by `show`; by
    default SSA operands of the short form `%A[%i * %j]` by their names)."""
    found = None
    binop = AffineParser._create_binop_expr.__code__  # pyright: ignore[reportPrivateUsage]
    short_form = AffineParser.parse_affine_map_of_ssa_ids.__code__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is binop:
            found = frame.f_locals
        elif frame.f_code is short_form and show is None:
            by_name = frame.f_locals.get("symbol_by_ssa_name")
            if isinstance(by_name, dict):
                names = sorted(by_name, key=by_name.__getitem__)  # pyright: ignore
                show = lambda e: affine_expr_str(e, names)  # noqa: E731
        tb = tb.tb_next
    if show is None:
        show = str
    if found is None:
        return None
    token, lhs, rhs = found.get("binop"), found.get("lhs"), found.get("rhs")
    span = getattr(token, "span", None)
    if not (isinstance(span, Span) and isinstance(lhs, AffineExpr) and isinstance(rhs, AffineExpr)):
        return None
    op = span.text
    if op == "*":
        what = f"'{show(lhs)} * {show(rhs)}' multiplies two non-constant expressions"
    else:
        what = (
            f"'{show(lhs)} {op} {show(rhs)}': the right operand of {op} is not an "
            "integer constant"
        )
    return span, f"semi-affine expressions are not supported: {what}"


def parse_diagnostic(e: DiagnosticException, parser: Parser) -> LoopnestError:
    """A verifier error raised while parsing (e.g. an out-of-range integer
    attribute), located where the parser stopped."""
    lines = str(e).strip().splitlines()
    first = lines[0] if lines else type(e).__name__
    if _LOCATED.match(first):
        return LoopnestError(first)
    where = span_location(parser._parser_state.current_token.span)  # pyright: ignore[reportPrivateUsage]
    return LoopnestError(f"{where}: error: {first.removeprefix('error: ')}")


def parse_failure(e: Exception, parser: Parser) -> LoopnestError:
    """The diagnostic for a non-diagnostic exception `e` raised by `parser`."""
    state = parser._parser_state  # pyright: ignore[reportPrivateUsage]
    where = span_location(state.current_token.span)
    if isinstance(e, RecursionError):
        return LoopnestError(
            f"{where}: error: input nested too deeply to parse: an expression, "
            "type, attribute or region nests (or chains) beyond the recursion limit"
        )
    if isinstance(e, NotImplementedError | ZeroDivisionError | ValueError):
        found = semi_affine_operator(e.__traceback__)
        if found is not None:
            span, reason = found
            if not isinstance(e, NotImplementedError):
                reason = f"invalid affine expression: {_one_line(e)}"
            return LoopnestError(f"{span_location(span)}: error: {reason}")
        if isinstance(e, NotImplementedError) and "semi-affine" in str(e):
            return LoopnestError(
                f"{where}: error: semi-affine expressions are not supported ({_one_line(e)})"
            )
    return LoopnestError(
        f"{where}: error: cannot parse the input: {type(e).__name__}: {_one_line(e)}"
    )


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def _described(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__} ({text})" if text else type(e).__name__


def verify_failure(e: Exception, module: ModuleOp) -> LoopnestError:
    """The diagnostic for a non-diagnostic exception `e` raised while verifying
    `module`: the first op (in verification order) whose own verification
    raises is named; if none does alone, the nesting is blamed."""
    if isinstance(e, RecursionError):
        reason = "the IR is nested too deeply to verify (exceeds the recursion limit)"
    else:
        reason = f"verification failed with {_described(e)}"
    culprit = _first_failing_op(module)
    if culprit is not None:
        op, err = culprit
        if isinstance(err, DiagnosticException):
            return verify_diagnostic(err, module)
        if isinstance(err, RecursionError):
            reason = (
                f"'{op.name}' is too deeply nested to verify (an expression exceeds "
                "the recursion limit)"
            )
        else:
            reason = f"verification failed with {_described(err)}"
        return LoopnestError(reason, op)
    return LoopnestError(reason)


def verify_diagnostic(e: DiagnosticException, module: ModuleOp) -> LoopnestError:
    """One line for a verifier's error: its first line, located at the op
    that fails verification when the message does not say where."""
    lines = str(e).strip().splitlines()
    first = lines[0] if lines else type(e).__name__
    if _LOCATED.match(first):
        return LoopnestError(first)
    culprit = _first_failing_op(module)
    if culprit is None or not isinstance(culprit[1], DiagnosticException):
        return LoopnestError(first)
    # The op found first may differ from the one the whole-module walk
    # reported (it checks an op's own structure before its regions): report
    # the culprit's own message.
    op, err = culprit
    lines = str(err).strip().splitlines()
    first = lines[0] if lines else first
    if _LOCATED.match(first):
        return LoopnestError(first)
    reason = first.removeprefix("error: ").removeprefix("Operation does not verify: ")
    return LoopnestError(reason, op)


_LOCATED = re.compile(r"^\S+:\d+:\d+: ")


def _first_failing_op(module: ModuleOp) -> tuple[Operation, Exception] | None:
    # Operation.verify checks nested ops before the op itself.
    try:
        for op in module.walk(region_first=True):
            try:
                op.verify(verify_nested_ops=False)
            except Exception as err:  # noqa: BLE001 - every failure is reported
                return op, err
    except RecursionError:  # too deep to walk: only the nesting can be blamed
        pass
    return None
