// RUN: xdsl-opt %s -p loopnest-convert-arith-to-llvm,loopnest-convert-func-to-llvm,reconcile-unrealized-casts | filecheck %s

// index becomes i64; floordivsi is sdiv/srem with a sign fix-up, after the
// run-time checks of its divisor (zero, and -1 with the minimum dividend).

// CHECK-LABEL: llvm.func @arith
// CHECK-SAME:  (%[[A:.*]]: i64, %[[B:.*]]: i64, %[[X:.*]]: f32, %[[Y:.*]]: f32) -> f32
func.func @arith(%a: index, %b: index, %x: f32, %y: f32) -> f32 {
  // CHECK-NEXT: %[[S:.*]] = llvm.add %[[A]], %[[B]] : i64
  %s = arith.addi %a, %b : index
  // CHECK-NEXT: %[[Z0:.*]] = llvm.mlir.constant(0) : i64
  // CHECK-NEXT: %[[BZ:.*]] = llvm.icmp "eq" %[[B]], %[[Z0]] : i64
  // CHECK-NEXT: llvm.cond_br %[[BZ]], ^[[FAIL1:.*]], ^[[OK1:.*]]
  // CHECK-NEXT: ^[[OK1]]:
  // CHECK-NEXT: %[[MIN:.*]] = llvm.mlir.constant(-9223372036854775808) : i64
  // CHECK-NEXT: %[[SMIN:.*]] = llvm.icmp "eq" %[[S]], %[[MIN]] : i64
  // CHECK-NEXT: %[[M1:.*]] = llvm.mlir.constant(-1) : i64
  // CHECK-NEXT: %[[BM1:.*]] = llvm.icmp "eq" %[[B]], %[[M1]] : i64
  // CHECK-NEXT: %[[OV:.*]] = llvm.and %[[SMIN]], %[[BM1]] : i1
  // CHECK-NEXT: llvm.cond_br %[[OV]], ^[[FAIL2:.*]], ^[[OK2:.*]]
  // CHECK-NEXT: ^[[OK2]]:
  // CHECK-NEXT: %[[Q:.*]] = llvm.sdiv %[[S]], %[[B]] : i64
  // CHECK-NEXT: %[[R:.*]] = llvm.srem %[[S]], %[[B]] : i64
  // CHECK-NEXT: %[[Z:.*]] = llvm.mlir.constant(0) : i64
  // CHECK-NEXT: %[[NZ:.*]] = llvm.icmp "ne" %[[R]], %[[Z]] : i64
  // CHECK-NEXT: %[[RN:.*]] = llvm.icmp "slt" %[[R]], %[[Z]] : i64
  // CHECK-NEXT: %[[BN:.*]] = llvm.icmp "slt" %[[B]], %[[Z]] : i64
  // CHECK-NEXT: %[[D:.*]] = llvm.xor %[[RN]], %[[BN]] : i1
  // CHECK-NEXT: %[[C:.*]] = llvm.and %[[NZ]], %[[D]] : i1
  // CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1) : i64
  // CHECK-NEXT: %[[QM:.*]] = llvm.sub %[[Q]], %[[ONE]] : i64
  // CHECK-NEXT: %[[FQ:.*]] = llvm.select %[[C]], %[[QM]], %[[Q]] : i1, i64
  %q = arith.floordivsi %s, %b : index
  // CHECK-NEXT: %[[LT:.*]] = llvm.icmp "slt" %[[FQ]], %[[A]] : i64
  %c = arith.cmpi slt, %q, %a : index
  // CHECK-NEXT: %[[M:.*]] = llvm.fmul %[[X]], %[[Y]] : f32
  %m = arith.mulf %x, %y : f32
  // CHECK-NEXT: %[[K:.*]] = llvm.mlir.constant(2.500000e+00 : f32) : f32
  %k = arith.constant 2.5 : f32
  // CHECK-NEXT: %[[N:.*]] = llvm.fadd %[[M]], %[[K]] : f32
  %n = arith.addf %m, %k : f32
  // CHECK-NEXT: %[[SEL:.*]] = llvm.select %[[LT]], %[[N]], %[[X]] : i1, f32
  %z = arith.select %c, %n, %x : f32
  // CHECK-NEXT: llvm.return %[[SEL]] : f32
  // A failed check records its code (1 + its index in the module's table)
  // and returns; the result is undefined, the caller raises.
  // CHECK-NEXT: ^[[FAIL1]]:
  // CHECK-NEXT: %[[G1:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
  // CHECK-NEXT: %[[C1:.*]] = llvm.mlir.constant(1 : i32) : i32
  // CHECK-NEXT: llvm.store %[[C1]], %[[G1]] : i32, !llvm.ptr
  // CHECK-NEXT: %[[U1:.*]] = llvm.mlir.undef : f32
  // CHECK-NEXT: llvm.return %[[U1]] : f32
  // CHECK-NEXT: ^[[FAIL2]]:
  // CHECK-NEXT: %[[G2:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
  // CHECK-NEXT: %[[C2:.*]] = llvm.mlir.constant(2 : i32) : i32
  func.return %z : f32
}

