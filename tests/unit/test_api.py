"""The Python API's contracts: errors, argument checking, no mutation."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp, f32
from xdsl.ir import Block, Region
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.utils.exceptions import VerifyException

import xdsl_group
from xdsl_group.dialects import loopnest

COPY = """
func.func @copy(%A: memref<4x5xf32>, %B: memref<4x5xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(5) {
      %v = loopnest.load %A[%i, %j] : memref<4x5xf32>
      loopnest.store %v, %B[%i, %j] : memref<4x5xf32>
    }
  }
  func.return
}
"""


def test_parse_error_is_loopnest_error():
    with pytest.raises(xdsl_group.LoopnestError, match="expected a loop name"):
        xdsl_group.parse("func.func @f() {\n loopnest.for %i in range(4) {\n }\n func.return\n}")


def test_verify_error_is_one_line_with_location():
    text = COPY.replace("range(5)", "range(0, 5, 0)")
    with pytest.raises(xdsl_group.LoopnestError) as info:
        xdsl_group.parse(text, "copy.mlir")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("copy.mlir:4:5: error: 'loopnest.for' op (loop 'j'): step 0")


@pytest.mark.parametrize(
    "arrays, match",
    [
        ((np.zeros((4, 5), np.float32),), "takes 2 arrays, 1 were given"),
        ((np.zeros((4, 5), np.float32), np.zeros((5, 4), np.float32)), r"shape \(4, 5\)"),
        ((np.zeros((4, 5), np.float32), np.zeros((4, 5), np.float64)), "dtype float32"),
        ((np.zeros((4, 5), np.float32), [[0.0] * 5] * 4), "numpy array"),
    ],
)
def test_interpret_checks_arguments(arrays, match):
    module = xdsl_group.parse(COPY)
    with pytest.raises(ValueError, match=match):
        xdsl_group.interpret(module, "copy", *arrays)


def test_interpret_unknown_function():
    with pytest.raises(ValueError, match="no function @nope"):
        xdsl_group.interpret(xdsl_group.parse(COPY), "nope")


def test_interpret_writes_outputs_in_place():
    A = np.arange(20, dtype=np.float32).reshape(4, 5)
    B = np.zeros_like(A)
    xdsl_group.interpret(xdsl_group.parse(COPY), "copy", A, B)
    np.testing.assert_array_equal(A, B)


def test_apply_does_not_modify_its_input():
    module = xdsl_group.parse(COPY)
    before = str(module)
    lowered = xdsl_group.apply(module, "convert-loopnest-to-affine")
    assert str(module) == before
    assert "affine.for" in str(lowered)


def test_apply_rejects_unknown_pass():
    with pytest.raises(xdsl_group.LoopnestError, match="no-such-pass"):
        xdsl_group.apply(xdsl_group.parse(COPY), "no-such-pass")


def test_strided_and_dependent_bounds_run_like_python():
    text = """
    func.func @tri(%A: memref<10x10xi32>) {
      loopnest.for i %i in range(1, 10, 3) {
        loopnest.for j %j in range(%i floordiv 2, %i + 1) {
          %v = loopnest.load %A[%i, %j] : memref<10x10xi32>
          %c = arith.constant 1 : i32
          %s = arith.addi %v, %c : i32
          loopnest.store %s, %A[%i, %j] : memref<10x10xi32>
        }
      }
      func.return
    }
    """
    A = np.zeros((10, 10), np.int32)
    xdsl_group.interpret(xdsl_group.parse(text), "tri", A)
    expected = np.zeros_like(A)
    for i in range(1, 10, 3):
        for j in range(i // 2, i + 1):
            expected[i, j] += 1
    np.testing.assert_array_equal(A, expected)


def test_interpreter_reports_out_of_bounds_access():
    text = COPY.replace("%v = loopnest.load %A[%i, %j]", "%v = loopnest.load %A[%i, %j + 1]")
    A = np.zeros((4, 5), np.float32)
    with pytest.raises(Exception, match="index 5 is out of bounds for dimension 1"):
        xdsl_group.interpret(xdsl_group.parse(text), "copy", A, A.copy())


def _function_with(body_ops, arg_types):
    block = Block(arg_types=arg_types)
    block.add_ops([*body_ops, func.ReturnOp()])
    fn = func.FuncOp("f", (arg_types, []), Region(block))
    return ModuleOp([fn]), block


def test_verifier_rejects_iv_of_a_loop_that_does_not_enclose():
    memref = MemRefType(f32, [8])
    module, block = _function_with([], [memref])
    first = loopnest.ForOp("i", 0, 4)
    second = loopnest.ForOp("j", 0, 4)
    load = loopnest.LoadOp(block.args[0], [first.induction_variable])
    second.body.block.insert_op_before(load, second.body.block.last_op)
    block.insert_op_before(first, block.last_op)
    block.insert_op_before(second, block.last_op)
    with pytest.raises(VerifyException, match="induction variable %i of loop 'i', which does not enclose it"):
        module.verify()


def test_verifier_rejects_bound_on_own_iv():
    memref = MemRefType(f32, [8])
    module, block = _function_with([], [memref])
    loop = loopnest.ForOp("i", 0, 4)
    block.insert_op_before(loop, block.last_op)
    # Re-bind the upper bound to the loop's own IV: range(0, %i).
    rebuilt = loopnest.ForOp(
        "i",
        AffineMap(1, 0, (AffineExpr.constant(0),)),
        AffineMap.identity(1),
        [loop.induction_variable],
    )
    loop.operands = rebuilt.operands
    loop.properties.update(rebuilt.properties)
    with pytest.raises(VerifyException, match="own induction variable %i"):
        module.verify()
