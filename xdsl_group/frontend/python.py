"""Python loop code to `loopnest`: the seed's notation as an input language.

The source is parsed with `ast` and translated statement by statement; it is
never executed.  Two shapes of source are accepted:

- a `def` whose parameters are annotated with element type and shape,
  `def conv2d(O: f32[CO, OH, OW], I: f32[CI, IH, IW], W: f32[CO, CI, KH, KW]):`;
- bare loop code, as on the slides, with the arrays' shapes passed separately
  (`arrays={"O": ("CO", "OH", "OW"), ...}`); it becomes `func.func @kernel`.

Sizes are integers named in `sizes=` or assigned at the top of the source
(`CO = 64`; later assignments may use earlier sizes).  Loop bounds and indices
must be affine in the enclosing loop variables and the sizes.  Statements end
after a trailing operator continue on the next line, as on the slides.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    FileLineColLoc,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    f32,
    f64,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineExpr, AffineMap
from xdsl.utils.exceptions import DiagnosticException

from xdsl_group.analysis.affine_utils import compress_dims
from xdsl_group.dialects.loopnest import ForOp, LoadOp, StoreOp
from xdsl_group.errors import LoopnestError

ELEMENT_TYPES: dict[str, Attribute] = {"f32": f32, "f64": f64, "i32": i32, "i64": i64}

ArrayShapes = Mapping[str, Sequence[int | str]]

_INDEX_MAX = 2**63 - 1

# Python identifiers that are also MLIR value names (`%name`).
_SSA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PythonSourceError(LoopnestError):
    """A refusal pointing at a line and column of the Python source."""

    def __init__(self, reason: str, filename: str, line: int, column: int):
        self.filename = filename
        self.line = line
        self.column = column
        super().__init__(reason)
        self.args = (f"{filename}:{line}:{column}: error: {reason}",)

    def __str__(self) -> str:
        return self.args[0]


class _Refusal(Exception):
    """Internal: an unsupported construct at `node`."""

    def __init__(self, message: str, node: ast.AST | None = None):
        super().__init__(message)
        self.message = message
        self.node = node


# --------------------------------------------------------------------------
# Source preprocessing: the slides' continuation lines
# --------------------------------------------------------------------------

_TRAILING_OPERATOR = re.compile(r"(\+|-|\*|/|%|@|=|&|\||\^)$")


def _code_part(line: str) -> str:
    """`line` without its comment (quotes respected) and trailing spaces."""
    quote: str | None = None
    for k, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:k].rstrip()
    return line.rstrip()


def join_continuations(source: str) -> str:
    """Let a statement continue after a trailing binary operator or `+=`.

    Plain Python rejects `O[co][oh][ow] +=` followed by the operand on the
    next line.  A backslash is appended to such lines (their comment dropped),
    so every token keeps its line and column for error messages.  Blank or
    comment-only lines in between become a lone backslash.
    """
    lines = source.split("\n")
    codes = [_code_part(line) for line in lines]
    last_code = max((k for k, c in enumerate(codes) if c.strip()), default=-1)
    out = list(lines)
    pending = False
    for k, code in enumerate(codes):
        if pending and not code.strip():
            out[k] = "\\"
            continue
        pending = False
        # The last statement cannot continue: leave it for Python to report.
        if (
            k < last_code
            and code.strip()
            and _TRAILING_OPERATOR.search(code)
            and not _is_complete_statement(code)
        ):
            out[k] = code + " \\"
            pending = True
    return "\n".join(out)


def _is_complete_statement(code: str) -> bool:
    """Whether `code` alone parses (`from numpy import *` does, `A[i] +=` not)."""
    try:
        ast.parse(code.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _dedent(source: str) -> tuple[str, int]:
    """Remove the common indentation (e.g. of a triple-quoted string)."""
    lines = source.split("\n")
    indents = [len(l) - len(l.lstrip()) for l in lines if l.strip()]
    n = min(indents, default=0)
    if n == 0 or any(l.strip() and not l[:n].isspace() for l in lines):
        return source, 0
    return "\n".join(l[n:] for l in lines), n


# --------------------------------------------------------------------------
# Sizes: integer expressions over named sizes, evaluated without `eval`
# --------------------------------------------------------------------------


# Indices, bounds and sizes deeper than this are refused: affine expressions
# are trees, and xDSL's affine parser and printer recurse on them.
MAX_AFFINE_DEPTH = 100


def _depth(node: ast.AST) -> int:
    """Nesting depth of an expression tree, without recursion."""
    deepest = 0
    work = [(node, 1)]
    while work:
        n, d = work.pop()
        deepest = max(deepest, d)
        work += [(c, d + 1) for c in ast.iter_child_nodes(n)]
    return deepest


def _check_depth(node: ast.expr, what: str) -> None:
    if (d := _depth(node)) > MAX_AFFINE_DEPTH:
        raise _Refusal(
            f"{what} nests {d} levels deep; at most {MAX_AFFINE_DEPTH} are supported",
            node,
        )


def _source_text(node: ast.AST, limit: int = 60) -> str:
    """`node` as source for a message, shortened (and safe on deep trees)."""
    if _depth(node) > MAX_AFFINE_DEPTH:
        return "<expression>"
    text = ast.unparse(node).split("\n")[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fits(value: int, elem: Attribute) -> bool:
    width = 32 if elem == i32 else 64
    return -(2 ** (width - 1)) <= value < 2 ** (width - 1)


def _size_value(node: ast.expr, sizes: Mapping[str, int]) -> int:
    _check_depth(node, "the size expression")
    return _size_value_of(node, sizes)


def _size_value_of(node: ast.expr, sizes: Mapping[str, int]) -> int:
    match node:
        case ast.Constant(value=bool()):
            raise _Refusal("expected an integer size, got a boolean", node)
        case ast.Constant(value=int(v)):
            return v
        case ast.Name(id=name):
            if name in sizes:
                return sizes[name]
            raise _Refusal(f"unknown size '{name}'{_SIZE_HINT}", node)
        case ast.UnaryOp(op=ast.USub(), operand=a):
            return -_size_value_of(a, sizes)
        case ast.BinOp(left=l, op=op, right=r):
            a, b = _size_value_of(l, sizes), _size_value_of(r, sizes)
            match op:
                case ast.Add():
                    return a + b
                case ast.Sub():
                    return a - b
                case ast.Mult():
                    return a * b
                case ast.FloorDiv() | ast.Mod() if b > 0:
                    return a // b if isinstance(op, ast.FloorDiv) else a % b
                case ast.FloorDiv() | ast.Mod():
                    raise _Refusal("sizes divide by positive integers only", node)
    raise _Refusal(
        "a size must be an integer expression of sizes with + - * // %", node
    )


_SIZE_HINT = " (give it in sizes=/--size or assign it at the top of the source)"


# --------------------------------------------------------------------------
# The translation
# --------------------------------------------------------------------------


@dataclass
class _Scope:
    """What a name means at a point of the loop body."""

    sizes: Mapping[str, int]
    arrays: dict[str, SSAValue]
    loops: list[tuple[str, SSAValue]] = field(default_factory=list)

    def loop_position(self, name: str) -> int | None:
        for k, (n, _) in enumerate(self.loops):
            if n == name:
                return k
        return None

    @property
    def ivs(self) -> list[SSAValue]:
        return [v for _, v in self.loops]


class _Translator:
    def __init__(self, filename: str, column_offset: int):
        self.filename = filename
        self.column_offset = column_offset

    def location(self, node: ast.AST) -> FileLineColLoc:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", -1) + 1 + self.column_offset
        return FileLineColLoc(StringAttr(self.filename), IntAttr(line), IntAttr(col))

    def _at(self, op: Operation, node: ast.AST) -> Operation:
        op.location = self.location(node)
        return op

    # -- affine expressions ---------------------------------------------------

    def affine(self, node: ast.expr, scope: _Scope) -> AffineExpr:
        """An index or bound: dims are the enclosing loops, outermost first."""
        _check_depth(node, "the index or bound")
        return self._affine(node, scope)

    def _affine(self, node: ast.expr, scope: _Scope) -> AffineExpr:
        match node:
            case ast.Constant(value=bool()):
                pass
            case ast.Constant(value=int(v)):
                return AffineExpr.constant(v)
            case ast.Name(id=name):
                if (pos := scope.loop_position(name)) is not None:
                    return AffineExpr.dimension(pos)
                if name in scope.sizes:
                    return AffineExpr.constant(scope.sizes[name])
                if name in scope.arrays:
                    raise _Refusal(
                        f"array '{name}' used in an index or bound; only loop "
                        "variables, sizes and integers may appear there",
                        node,
                    )
                raise _Refusal(f"unknown size '{name}'{_SIZE_HINT}", node)
            case ast.UnaryOp(op=ast.USub(), operand=a):
                return -self._affine(a, scope)
            case ast.UnaryOp(op=ast.UAdd(), operand=a):
                return self._affine(a, scope)
            case ast.BinOp(left=l, op=op, right=r):
                a, b = self._affine(l, scope), self._affine(r, scope)
                match op:
                    case ast.Add():
                        return a + b
                    case ast.Sub():
                        return a - b
                    case ast.Mult():
                        if isinstance(a, AffineConstantExpr):
                            return b * a.value
                        if isinstance(b, AffineConstantExpr):
                            return a * b.value
                        raise _Refusal(
                            f"'{_source_text(node)}' is not affine: it multiplies "
                            "two loop-dependent expressions",
                            node,
                        )
                    case ast.FloorDiv() | ast.Mod():
                        if not (isinstance(b, AffineConstantExpr) and b.value > 0):
                            raise _Refusal(
                                f"'{_source_text(node)}' is not affine: the divisor "
                                "must be a positive constant",
                                node,
                            )
                        return a // b.value if isinstance(op, ast.FloorDiv) else a % b.value
                    case ast.Div():
                        raise _Refusal(
                            f"'{_source_text(node)}': use '//' for integer division "
                            "in indices and bounds",
                            node,
                        )
            case ast.Subscript():
                raise _Refusal(
                    "an array element used in an index or bound (indirect "
                    "access) is not affine",
                    node,
                )
        raise _Refusal(
            f"'{_source_text(node)}' is not an affine expression of loop variables "
            "and sizes (allowed: + - *, // and % by positive constants)",
            node,
        )

    def affine_operands(
        self, exprs: Sequence[AffineExpr], scope: _Scope
    ) -> tuple[AffineMap, list[SSAValue]]:
        full = AffineMap(len(scope.loops), 0, tuple(exprs))
        return compress_dims(full, scope.ivs)

    # -- array accesses -------------------------------------------------------

    def subscript(
        self, node: ast.Subscript, scope: _Scope
    ) -> tuple[SSAValue, AffineMap, list[SSAValue]]:
        parts: list[ast.expr] = []
        base: ast.expr = node
        while isinstance(base, ast.Subscript):
            sl = base.slice
            items = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
            parts[:0] = items
            base = base.value
        if not isinstance(base, ast.Name):
            raise _Refusal("only named arrays can be subscripted", base)
        name = base.id
        if name not in scope.arrays:
            if scope.loop_position(name) is not None or name in scope.sizes:
                raise _Refusal(f"'{name}' is not an array", base)
            raise _Refusal(
                f"unknown array '{name}' (declare its shape as a parameter "
                "annotation or in arrays=/--array)",
                base,
            )
        memref = scope.arrays[name]
        memref_type = memref.type
        assert isinstance(memref_type, MemRefType)
        rank = memref_type.get_num_dims()
        for p in parts:
            if isinstance(p, ast.Slice):
                raise _Refusal("slices are not supported; index every dimension", p)
        if len(parts) != rank:
            raise _Refusal(
                f"array '{name}' has {rank} dimensions but is indexed with "
                f"{len(parts)}",
                node,
            )
        exprs = [self.affine(p, scope) for p in parts]
        m, operands = self.affine_operands(exprs, scope)
        return memref, m, operands

    # -- values ----------------------------------------------------------------

    def value(
        self, node: ast.expr, scope: _Scope, block: Block, elem: Attribute
    ) -> SSAValue:
        """Emit the arith ops of a right-hand side, operands first.

        The walk keeps its own stack: a sum of a thousand terms is a left-deep
        tree a thousand levels deep, beyond Python's recursion limit.
        """
        is_float = elem in (f32, f64)
        results: list[SSAValue] = []
        # (node, True) once its operands are on `results`.
        work: list[tuple[ast.expr, bool]] = [(node, False)]
        while work:
            n, ready = work.pop()
            if ready:
                if isinstance(n, ast.UnaryOp):
                    results.append(self._negate(results.pop(), n, block, elem))
                else:
                    assert isinstance(n, ast.BinOp)
                    kind = _binary_op(n.op, is_float)
                    assert kind is not None
                    b, a = results.pop(), results.pop()
                    results.append(self._emit(block, kind(a, b), n))
                continue
            match n:
                case ast.UnaryOp(op=ast.UAdd(), operand=a):
                    work.append((a, False))
                case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int(c) | float(c))) if not isinstance(c, bool):
                    results.append(self.leaf_value(ast.copy_location(ast.Constant(-c), n), scope, block, elem))
                case ast.UnaryOp(op=ast.USub(), operand=a):
                    work += [(n, True), (a, False)]
                case ast.BinOp(left=l, op=op, right=r) if _binary_op(op, is_float) is not None:
                    work += [(n, True), (r, False), (l, False)]
                case _:
                    results.append(self.leaf_value(n, scope, block, elem))
        (result,) = results
        return result

    def _negate(self, v: SSAValue, node: ast.expr, block: Block, elem: Attribute) -> SSAValue:
        if elem in (f32, f64):
            # x * -1.0 is exactly -x (signed zeros included) and, unlike
            # arith.negf, runs in xDSL's interpreter.
            minus_one = self._emit(block, arith.ConstantOp(FloatAttr(-1.0, elem)), node)  # pyright: ignore
            return self._emit(block, arith.MulfOp(v, minus_one), node)
        zero = self._emit(block, arith.ConstantOp(IntegerAttr(0, elem)), node)  # pyright: ignore
        return self._emit(block, arith.SubiOp(zero, v), node)

    def leaf_value(
        self, node: ast.expr, scope: _Scope, block: Block, elem: Attribute
    ) -> SSAValue:
        """A literal, a size or an array element (anything else is refused)."""
        is_float = elem in (f32, f64)
        match node:
            case ast.Constant(value=bool()):
                pass
            case ast.Constant(value=int(v) | float(v)):
                if is_float:
                    attr: Attribute = FloatAttr(float(v), elem)  # pyright: ignore
                elif isinstance(v, int):
                    if not _fits(v, elem):
                        raise _Refusal(f"integer literal {v} does not fit in {elem}", node)
                    attr = IntegerAttr(v, elem)  # pyright: ignore
                else:
                    raise _Refusal(
                        f"float literal {v!r} in an integer ({elem}) computation", node
                    )
                return self._emit(block, arith.ConstantOp(attr), node)  # pyright: ignore
            case ast.Name(id=name):
                if name in scope.sizes:
                    return self.leaf_value(
                        ast.copy_location(ast.Constant(scope.sizes[name]), node),
                        scope, block, elem,
                    )
                if scope.loop_position(name) is not None:
                    raise _Refusal(
                        f"loop variable '{name}' used as a value; array elements, "
                        "sizes and numbers are supported",
                        node,
                    )
                if name in scope.arrays:
                    raise _Refusal(f"array '{name}' used without an index", node)
                raise _Refusal(f"unknown name '{name}'", node)
            case ast.Subscript():
                memref, m, operands = self.subscript(node, scope)
                load = LoadOp(memref, operands, m)
                if load.result.type != elem:
                    raise _Refusal(
                        f"element type {load.result.type} differs from the "
                        f"statement's {elem}; mixed types are not supported",
                        node,
                    )
                return self._emit(block, load, node)
            case _:
                pass
        raise _Refusal(
            f"unsupported expression '{_source_text(node)}' (allowed: array "
            "elements, numbers, sizes, + - * and unary -"
            + (", /" if is_float else "")
            + ")",
            node,
        )

    def _emit(self, block: Block, op: Operation, node: ast.AST) -> SSAValue:
        block.add_op(self._at(op, node))
        return op.results[0]

    # -- statements ------------------------------------------------------------

    def statements(
        self, body: Sequence[ast.stmt], scope: _Scope, block: Block
    ) -> None:
        for stmt in body:
            self.statement(stmt, scope, block)

    def statement(self, stmt: ast.stmt, scope: _Scope, block: Block) -> None:
        match stmt:
            case ast.For():
                self.loop(stmt, scope, block)
            case ast.Assign(targets=[ast.Subscript() as target], value=v):
                self.store(target, None, v, stmt, scope, block)
            case ast.Assign(targets=[ast.Subscript(), *_]):
                raise _Refusal("chained assignment is not supported", stmt)
            case ast.AugAssign(target=ast.Subscript() as target, op=op, value=v):
                self.store(target, op, v, stmt, scope, block)
            case ast.Assign() | ast.AugAssign() | ast.AnnAssign():
                raise _Refusal(
                    "only array elements can be assigned inside loops (scalar "
                    "temporaries are not supported)",
                    stmt,
                )
            case ast.Pass():
                pass
            case ast.Expr(value=ast.Constant(value=str())):
                pass  # a docstring or string comment
            case _:
                raise _Refusal(
                    f"unsupported statement '{_describe(stmt)}'; loop bodies hold "
                    "for-range loops and array assignments (=, +=, -=, *=)",
                    stmt,
                )

    def loop(self, stmt: ast.For, scope: _Scope, block: Block) -> None:
        if not isinstance(stmt.target, ast.Name):
            raise _Refusal("the loop variable must be a single name", stmt.target)
        name = stmt.target.id
        if stmt.orelse:
            raise _Refusal("'for ... else' is not supported", stmt)
        if scope.loop_position(name) is not None:
            raise _Refusal(
                f"loop variable '{name}' is already the variable of an enclosing "
                "loop",
                stmt.target,
            )
        if name in scope.sizes or name in scope.arrays:
            kind = "a size" if name in scope.sizes else "an array"
            raise _Refusal(f"loop variable '{name}' is already {kind}", stmt.target)
        call = stmt.iter
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "range"
        ):
            raise _Refusal("loops must iterate over range(...)", call)
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise _Refusal("range takes 1 to 3 positional arguments", call)
        if any(isinstance(a, ast.Starred) for a in call.args):
            raise _Refusal("range takes 1 to 3 positional arguments", call)
        args = [self.affine(a, scope) for a in call.args]
        step = 1
        if len(args) == 1:
            lb, ub = AffineExpr.constant(0), args[0]
        else:
            lb, ub = args[0], args[1]
        if len(args) == 3:
            s = args[2]
            if not isinstance(s, AffineConstantExpr) or s.value <= 0:
                raise _Refusal(
                    "the step of range must be a positive constant", call.args[2]
                )
            step = s.value
        m, operands = self.affine_operands([lb, ub], scope)
        lb_map = AffineMap(m.num_dims, 0, (m.results[0],))
        ub_map = AffineMap(m.num_dims, 0, (m.results[1],))
        for_op = ForOp(name, lb_map, ub_map, operands, step)
        self._at(for_op, stmt)
        iv = for_op.induction_variable
        iv.name_hint = name if _SSA_NAME.fullmatch(name) else None
        body = for_op.body.block
        terminator = body.last_op
        assert terminator is not None
        block.add_op(for_op)
        scope.loops.append((name, iv))
        try:
            inner = Block(arg_types=())
            self.statements(stmt.body, scope, inner)
            for op in list(inner.ops):
                op.detach()
                body.insert_op_before(op, terminator)
        finally:
            scope.loops.pop()

    def store(
        self,
        target: ast.Subscript,
        op: ast.operator | None,
        value: ast.expr,
        stmt: ast.stmt,
        scope: _Scope,
        block: Block,
    ) -> None:
        memref, m, operands = self.subscript(target, scope)
        memref_type = memref.type
        assert isinstance(memref_type, MemRefType)
        elem = memref_type.get_element_type()
        is_float = elem in (f32, f64)
        if op is not None:
            kind = _binary_op(op, is_float)
            if kind is None or isinstance(op, ast.Div):
                raise _Refusal(
                    f"unsupported augmented assignment '{_OP_TEXT.get(type(op), '?')}="
                    "'; use =, +=, -= or *=",
                    stmt,
                )
        # Python evaluates the target's old value before the right-hand side.
        old = None
        if op is not None:
            old = self._emit(block, LoadOp(memref, operands, m), target)
        rhs = self.value(value, scope, block, elem)
        if old is not None:
            rhs = self._emit(block, kind(old, rhs), stmt)  # pyright: ignore
        block.add_op(self._at(StoreOp(rhs, memref, operands, m), target))


_OP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
            ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}


def _binary_op(op: ast.operator, is_float: bool):  # -> type[arith op] | None
    if is_float:
        table = {ast.Add: arith.AddfOp, ast.Sub: arith.SubfOp,
                 ast.Mult: arith.MulfOp, ast.Div: arith.DivfOp}
    else:
        table = {ast.Add: arith.AddiOp, ast.Sub: arith.SubiOp, ast.Mult: arith.MuliOp}
    return table.get(type(op))


def _describe(stmt: ast.stmt) -> str:
    keyword = {
        ast.If: "if", ast.While: "while", ast.Return: "return", ast.Break: "break",
        ast.Continue: "continue", ast.With: "with", ast.Try: "try",
        ast.FunctionDef: "def", ast.ClassDef: "class", ast.Import: "import",
        ast.ImportFrom: "from ... import", ast.Delete: "del", ast.Global: "global",
    }.get(type(stmt))
    if keyword:
        return keyword
    return _source_text(stmt, 40)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def _element_type(name: str, node: ast.AST | None = None) -> Attribute:
    if name not in ELEMENT_TYPES:
        raise _Refusal(
            f"unknown element type '{name}' (supported: {', '.join(ELEMENT_TYPES)})",
            node,
        )
    return ELEMENT_TYPES[name]


def _is_size_assignment(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Assign) and all(
        isinstance(t, ast.Name) for t in stmt.targets
    ) or (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name))


def _shape(
    dims: Sequence[ast.expr | int | str],
    sizes: Mapping[str, int],
    array: str,
    node: ast.AST | None,
) -> list[int]:
    shape: list[int] = []
    for d in dims:
        if isinstance(d, ast.expr):
            v = _size_value(d, sizes)
        elif isinstance(d, bool) or not isinstance(d, int | str):
            raise _Refusal(f"array '{array}': dimension {d!r} is not an int or size name", node)
        elif isinstance(d, int):
            v = d
        elif _nfkc(d) in sizes:
            v = sizes[_nfkc(d)]
        elif re.fullmatch(r"[A-Za-z_]\w*", d):
            raise _Refusal(f"unknown size '{d}' in the shape of array '{array}'{_SIZE_HINT}", node)
        else:
            try:
                v = _size_value(ast.parse(d, mode="eval").body, sizes)
            except (SyntaxError, _Refusal) as e:
                raise _Refusal(f"array '{array}': bad dimension '{d}'", node) from e
        if v <= 0:
            raise _Refusal(f"array '{array}' has a dimension of size {v}; sizes must be positive", node)
        shape.append(v)
    if math.prod(shape) > _INDEX_MAX:
        raise _Refusal(
            f"array '{array}' has {math.prod(shape)} elements, more than the index "
            "type (64 bits) can address",
            node,
        )
    return shape


def from_python(
    source: str,
    sizes: Mapping[str, int] | None = None,
    arrays: ArrayShapes | None = None,
    dtype: str | None = None,
    name: str | None = None,
    *,
    filename: str = "<python>",
    check_bounds: bool = True,
) -> ModuleOp:
    """Translate Python loop code into a verified `loopnest` module.

    `sizes` (non-negative integers named by identifiers) override integer
    assignments at the top of the source.  `arrays` gives shapes (ints or size
    names) of bare code's arrays, which become the parameters of
    `func.func @kernel` (or `@name`) in that order; `dtype` is their element
    type (default f32).  A `def` keeps its name and parameter order; its
    parameters are annotated like `f32[CO, OH, OW]` (unannotated ones take
    their shape from `arrays`).  Unless `check_bounds=False`, every access is
    proved in bounds (`loopnest-check-bounds`).

    An argument that would have no effect (an `arrays` entry no parameter
    takes, `name` or `dtype` for a def) is refused rather than ignored.

    Raises `LoopnestError` (`file:line:col: error: ...`) on anything unsupported.
    """
    _check_arguments(sizes, arrays, dtype, name)
    # Python reads identifiers in NFKC form (`ﬁ` is `fi`); so are the names given.
    sizes = {_nfkc(k): v for k, v in (sizes or {}).items()}
    arrays = {_nfkc(k): v for k, v in arrays.items()} if arrays else None
    name = _nfkc(name) if name is not None else None
    text, column_offset = _dedent(source)
    joined = join_continuations(text)
    translator = _Translator(filename, column_offset)
    try:
        tree = ast.parse(joined, filename)
    except SyntaxError as e:
        if not e.lineno:  # e.g. null bytes: about the file, not a line
            raise LoopnestError(f"{filename}: {e.msg}") from None
        col = (e.offset or 1) + column_offset
        raise PythonSourceError(e.msg, filename, e.lineno, col) from None
    except ValueError as e:  # null bytes (Python < 3.12)
        raise LoopnestError(f"{filename}: {e}") from None
    except (RecursionError, MemoryError):
        raise LoopnestError(
            f"{filename}: the source nests too deeply for Python's parser"
        ) from None
    try:
        module = _translate(tree, translator, sizes, arrays, dtype, name)
    except _Refusal as r:
        node = r.node
        if node is None:  # about the arguments (sizes, arrays), not the source
            raise LoopnestError(r.message) from None
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0) + 1 + column_offset
        raise PythonSourceError(r.message, filename, line, col) from None
    try:
        module.verify()
    except DiagnosticException as e:
        # Verifier messages already carry the op's Python location.
        message = str(e).strip().splitlines()[0]
        err = LoopnestError(message)
        if ": error: " in message or message.startswith("error: "):
            err.args = (message,)
        raise err from None
    if check_bounds:
        from xdsl_group.analysis.bounds import check_bounds as run_check

        run_check(module)
    return module


def _nfkc(identifier: str) -> str:
    return unicodedata.normalize("NFKC", identifier)


def _check_arguments(
    sizes: Mapping[str, int] | None,
    arrays: ArrayShapes | None,
    dtype: str | None,
    name: str | None,
) -> None:
    """Refuse arguments the source could never refer to."""
    for k, v in (sizes or {}).items():
        if not isinstance(k, str) or not k.isidentifier():
            raise LoopnestError(f"size name {k!r} is not a Python identifier")
        if isinstance(v, bool) or not isinstance(v, int):
            raise LoopnestError(f"size '{k}' must be an integer, got {v!r}")
        if v < 0:
            raise LoopnestError(f"size '{k}' must be non-negative, got {v}")
        if v > _INDEX_MAX:
            raise LoopnestError(f"size '{k}' = {v} does not fit in the index type (64 bits)")
    for k in arrays or {}:
        if not isinstance(k, str) or not k.isidentifier():
            raise LoopnestError(f"array name {k!r} is not a Python identifier")
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise LoopnestError(f"function name {name!r} is not a Python identifier")
    if dtype is not None and dtype not in ELEMENT_TYPES:
        raise LoopnestError(
            f"unknown element type '{dtype}' (supported: {', '.join(ELEMENT_TYPES)})"
        )


def _translate(
    tree: ast.Module,
    translator: _Translator,
    given_sizes: Mapping[str, int],
    arrays: ArrayShapes | None,
    dtype: str | None,
    name: str | None,
) -> ModuleOp:
    sizes: dict[str, int] = {}
    code: list[ast.stmt] = []
    defs: list[ast.FunctionDef] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Tuple | ast.List)
            and all(isinstance(e, ast.Name) for e in t.elts)
            for t in stmt.targets
        ):
            raise _Refusal("assign one size per statement (N = 4), not a tuple", stmt)
        if _is_size_assignment(stmt) and not code and not defs:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            if value is None:
                raise _Refusal("a size assignment needs a value", stmt)
            for t in targets:
                assert isinstance(t, ast.Name)
                if t.id in given_sizes:
                    sizes[t.id] = given_sizes[t.id]  # given sizes win
                else:
                    sizes[t.id] = _size_value(value, {**sizes, **given_sizes})
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            continue  # e.g. importing the annotation names
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue  # module docstring
        elif isinstance(stmt, ast.FunctionDef):
            if any(d.name == stmt.name for d in defs):
                raise _Refusal(f"function '{stmt.name}' is defined twice", stmt)
            if code:
                raise _Refusal("mixing a def with bare loop code is not supported", stmt)
            defs.append(stmt)
        elif _is_size_assignment(stmt):
            raise _Refusal(
                "size assignments must come before the loop code", stmt
            )
        else:
            if defs:
                raise _Refusal("mixing a def with bare loop code is not supported", stmt)
            code.append(stmt)
    sizes = {**sizes, **given_sizes}
    module = ModuleOp([])
    if defs:
        if name is not None:
            raise _Refusal(
                f"name={name!r} (--name) applies to bare loop code; a def keeps its own name",
                defs[0],
            )
        taken: set[str] = set()
        for d in defs:
            module.body.block.add_op(
                _function_from_def(d, translator, sizes, arrays, dtype or "f32", taken)
            )
        if unused := [a for a in arrays or {} if a not in taken]:
            raise _Refusal(
                f"the shape of '{unused[0]}' (arrays=/--array) is not used: no "
                "def has an unannotated parameter of that name",
                defs[0],
            )
        if dtype is not None and not taken:
            raise _Refusal(
                "dtype= (--dtype) applies to arrays shaped by arrays=/--array; "
                "the def's parameters are all annotated",
                defs[0],
            )
        return module
    if not code:
        raise _Refusal("the source has no loop code and no def")
    elem = _element_type(dtype or "f32")
    if not arrays:
        raise _Refusal(
            "bare loop code needs the arrays' shapes (arrays={...} or --array "
            "NAME=D0,D1,...)",
            code[0],
        )
    params = [
        (a, MemRefType(elem, _shape(dims, sizes, a, None))) for a, dims in arrays.items()
    ]
    fn = _function(name or "kernel", params, code, translator, sizes, code[0])
    module.body.block.add_op(fn)
    return module


def _function_from_def(
    d: ast.FunctionDef,
    translator: _Translator,
    sizes: Mapping[str, int],
    arrays: ArrayShapes | None,
    dtype: str,
    taken: set[str],
) -> func.FuncOp:
    """The function of a def; adds the `arrays` entries it uses to `taken`."""
    args = d.args
    if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults:
        raise _Refusal("parameters must be plain positional arrays", d)
    if d.decorator_list:
        raise _Refusal("decorators are not supported", d.decorator_list[0])
    if d.returns is not None and not (
        isinstance(d.returns, ast.Constant) and d.returns.value is None
    ):
        raise _Refusal("the function cannot return a value", d.returns)
    params: list[tuple[str, MemRefType]] = []
    for a in args.args:
        ann = a.annotation
        if ann is None:
            if arrays and a.arg in arrays:
                taken.add(a.arg)
                elem = _element_type(dtype)
                params.append((a.arg, MemRefType(elem, _shape(arrays[a.arg], sizes, a.arg, a))))
                continue
            raise _Refusal(
                f"parameter '{a.arg}' needs a shape annotation like f32[N, M]", a
            )
        if not (isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name)):
            raise _Refusal(
                f"parameter '{a.arg}': expected an annotation like f32[N, M] "
                "(scalars are not supported)",
                ann,
            )
        elem = _element_type(ann.value.id, ann.value)
        sl = ann.slice
        dims = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        params.append((a.arg, MemRefType(elem, _shape(dims, sizes, a.arg, ann))))
    body = list(d.body)
    if body and isinstance(body[-1], ast.Return) and body[-1].value is None:
        body.pop()
    return _function(d.name, params, body, translator, sizes, d)


def _function(
    fn_name: str,
    params: Sequence[tuple[str, MemRefType]],
    body: Sequence[ast.stmt],
    translator: _Translator,
    sizes: Mapping[str, int],
    node: ast.AST,
) -> func.FuncOp:
    names = [p for p, _ in params]
    for p in names:
        if p in sizes:
            raise _Refusal(f"'{p}' is both an array and a size", node)
    if dup := next((p for k, p in enumerate(names) if p in names[:k]), None):
        raise _Refusal(f"duplicate array name '{dup}'", node)
    block = Block(arg_types=[t for _, t in params])
    for arg, p in zip(block.args, names):
        # MLIR value names are ASCII: other identifiers print as `%0`, ...
        arg.name_hint = p if _SSA_NAME.fullmatch(p) else None
    scope = _Scope(sizes, dict(zip(names, block.args)))
    translator.statements(body, scope, block)
    block.add_op(func.ReturnOp())
    fn = func.FuncOp(fn_name, ([t for _, t in params], []), Region(block))
    fn.location = translator.location(node)
    return fn
