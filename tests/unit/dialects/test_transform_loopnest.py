"""The `transform.loopnest` ops built from Python, their verifiers, and
parsing a script wherever it stands in the module."""

from __future__ import annotations

import pytest
from xdsl.dialects.transform import AnyOpType
from xdsl.ir import Block
from xdsl.utils.exceptions import VerifyException

import xdsl_group
from xdsl_group.dialects.transform_loopnest import GroupOp, InterchangeOp, MatchOp, PeelOp


@pytest.fixture
def root():
    return Block(arg_types=[AnyOpType()]).args[0]


def test_ops_built_from_python_verify_and_print(root):
    co = MatchOp("co", root)
    peel = PeelOp(co.result, 2, side="back", name="tail")
    group = GroupOp([peel.rest, co.result], 4, name="grp", compact=True)
    swap = InterchangeOp([peel.peeled, peel.rest], with_results=True)
    band = InterchangeOp([co.result, peel.rest, group.result], order=[2, 0, 1], strict=True)
    for op in (co, peel, group, swap, band):
        op.verify()
    assert peel.side_str == "back" and group.name_str == "grp" and band.order_list == [2, 0, 1]
    assert len(swap.results) == 2 and not band.results
    text = str(group)
    assert 'transform.loopnest.group %' in text and '{groups = 4 : i64, name = "grp", compact}' in text


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda r: MatchOp("", r), "the loop name is empty"),
        (lambda r: PeelOp(r, 0), "count must be positive, got 0"),
        (lambda r: PeelOp(r, 1, side="middle"), 'side must be "front" or "back"'),
        (lambda r: GroupOp([r], 0), "groups must be at least 1, got 0"),
        (lambda r: GroupOp([], 2), "takes at least one loop handle"),
        (lambda r: InterchangeOp([r, r, r]), "swaps two loop handles, got 3"),
        (lambda r: InterchangeOp([r, r], order=[1, 1]), "order must be a permutation of 0..1"),
    ],
)
def test_verifier_refuses_malformed_ops(root, make, message):
    with pytest.raises(VerifyException, match=message) as err:
        make(root).verify()
    assert "\n" not in str(err.value).strip()


SCRIPT_FIRST = """
builtin.module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op) {
    %i = transform.loopnest.match "i" in %root : (!transform.any_op) -> !transform.any_op
    %p, %r = transform.loopnest.peel %i {count = 1 : i64} : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
  func.func @f(%A: memref<4xf32>) {
    loopnest.for i %i in range(4) {
      %v = loopnest.load %A[%i] : memref<4xf32>
    }
    func.return
  }
}
"""


def test_parse_accepts_the_script_before_the_payload():
    module = xdsl_group.parse(SCRIPT_FIRST, "first.mlir")
    done = str(xdsl_group.apply(module, "loopnest-transform-interpreter"))
    assert "loopnest.for i_peel %i_peel in range(1)" in done
    assert "loopnest.for i %i in range(1, 4)" in done


def test_ops_point_their_diagnostics_at_their_source_line():
    module = xdsl_group.parse(SCRIPT_FIRST, "first.mlir")
    peel = next(op for op in module.walk() if isinstance(op, PeelOp))
    assert (peel.location.line.data, peel.location.column.data) == (5, 14)
