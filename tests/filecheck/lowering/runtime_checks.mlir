// RUN: xdsl-opt %s -p 'loopnest-finalize-memref-to-llvm,loopnest-convert-arith-to-llvm,loopnest-convert-func-to-llvm,reconcile-unrealized-casts' | filecheck %s

// Accesses and divisions the static proof does not cover are checked at run
// time: a failed check stores its code (1 + its index in the module's table
// of messages) into @loopnest_runtime_error and returns.

// CHECK:      builtin.module attributes {loopnest.runtime_errors = [
// CHECK-SAME: ["IndexError", "error: 'memref.load' op: index of dimension 1 of %A (memref<4x8xf32>) is out of bounds [0, 8)"],
// CHECK-SAME: ["IndexError", "error: 'memref.store' op: index of dimension 0 of %A (memref<4x8xf32>) is out of bounds [0, 4)"],
// CHECK-SAME: ["ZeroDivisionError", "error: 'arith.divui' op: division by zero"],
// CHECK-SAME: ["ZeroDivisionError", "error: 'arith.remsi' op: division by zero"]]}
// CHECK-NEXT: llvm.mlir.global common @loopnest_runtime_error(0 : i32)

// CHECK-LABEL: llvm.func @f
// CHECK-SAME:  %[[I:[a-zA-Z0-9_]+]]: i64, %[[N:[a-zA-Z0-9_]+]]: i32, %[[D:[a-zA-Z0-9_]+]]: i32) -> i32 {
func.func @f(%A: memref<4x8xf32>, %i: index, %n: i32, %d: i32) -> i32 {
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : i32
  // The constant index 2 of dimension 0 is in bounds: only %i is checked,
  // unsigned (a negative index is huge), before the address is computed.
  // CHECK:      %[[C2:.*]] = llvm.mlir.constant(2) : i64
  // CHECK:      %[[SIZE1:.*]] = llvm.mlir.constant(8) : i64
  // CHECK-NEXT: %[[BAD1:.*]] = llvm.icmp "uge" %[[I]], %[[SIZE1]] : i64
  // CHECK-NEXT: llvm.cond_br %[[BAD1]], ^[[FAIL1:.*]], ^[[OK1:.*]]
  // CHECK-NEXT: ^[[OK1]]:
  // CHECK-NEXT: llvm.extractvalue
  // CHECK:      %[[V:.*]] = llvm.load
  %v = memref.load %A[%c2, %i] : memref<4x8xf32>
  // CHECK-NEXT: %[[SIZE0:.*]] = llvm.mlir.constant(4) : i64
  // CHECK-NEXT: %[[BAD2:.*]] = llvm.icmp "uge" %[[I]], %[[SIZE0]] : i64
  // CHECK-NEXT: llvm.cond_br %[[BAD2]], ^[[FAIL2:.*]], ^[[OK2:.*]]
  // CHECK-NEXT: ^[[OK2]]:
  // CHECK:      llvm.store %[[V]]
  memref.store %v, %A[%i, %c2] : memref<4x8xf32>
  // A division by a constant needs no check.
  // CHECK-NEXT: %[[Q3:.*]] = llvm.sdiv %[[N]], %{{.*}} : i32
  %q3 = arith.divsi %n, %c3 : i32
  // Unsigned: only the zero divisor.
  // CHECK-NEXT: %[[Z:.*]] = llvm.mlir.constant(0 : i32) : i32
  // CHECK-NEXT: %[[DZ:.*]] = llvm.icmp "eq" %[[D]], %[[Z]] : i32
  // CHECK-NEXT: llvm.cond_br %[[DZ]], ^[[FAIL3:.*]], ^[[OK3:.*]]
  // CHECK-NEXT: ^[[OK3]]:
  // CHECK-NEXT: %[[Q:.*]] = llvm.udiv %[[N]], %[[D]] : i32
  %q = arith.divui %n, %d : i32
  // remsi: the minimum value by -1 has remainder 0, which srem would trap
  // on: a divisor of -1 becomes 1 (no branch).
  // CHECK:      ^[[OK4:.*]]:
  // CHECK-NEXT: %[[M1:.*]] = llvm.mlir.constant(-1 : i32) : i32
  // CHECK-NEXT: %[[ISM1:.*]] = llvm.icmp "eq" %[[D]], %[[M1]] : i32
  // CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i32) : i32
  // CHECK-NEXT: %[[SAFE:.*]] = llvm.select %[[ISM1]], %[[ONE]], %[[D]] : i1, i32
  // CHECK-NEXT: %{{.*}} = llvm.srem %[[N]], %[[SAFE]] : i32
  %r = arith.remsi %n, %d : i32
  %s = arith.addi %q, %r : i32
  %t = arith.addi %s, %q3 : i32
  // CHECK:      llvm.return %{{.*}} : i32
  func.return %t : i32
  // The function's result is undefined after a failed check: the caller raises.
  // CHECK-NEXT: ^[[FAIL1]]:
  // CHECK-NEXT: %[[G1:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
  // CHECK-NEXT: %[[K1:.*]] = llvm.mlir.constant(1 : i32) : i32
  // CHECK-NEXT: llvm.store %[[K1]], %[[G1]] : i32, !llvm.ptr
  // CHECK-NEXT: %[[U1:.*]] = llvm.mlir.undef : i32
  // CHECK-NEXT: llvm.return %[[U1]] : i32
  // CHECK-NEXT: ^[[FAIL2]]:
  // CHECK-NEXT: %[[G2:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
  // CHECK-NEXT: %[[K2:.*]] = llvm.mlir.constant(2 : i32) : i32
  // CHECK:      ^[[FAIL3]]:
  // CHECK-NEXT: %[[G3:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
  // CHECK-NEXT: %[[K3:.*]] = llvm.mlir.constant(3 : i32) : i32
}
