// RUN: xdsl-opt %s -p convert-scf-to-cf,loopnest-convert-cf-to-llvm,loopnest-convert-arith-to-llvm,loopnest-convert-func-to-llvm,reconcile-unrealized-casts | filecheck %s

// Block arguments become i64; branches pass i64 values.

// CHECK-LABEL: llvm.func @count
func.func @count(%n: index) -> index {
  // CHECK:      llvm.br ^[[HEAD:.*]](%{{.*}}, %{{.*}} : i64, i64)
  // CHECK-NEXT: ^[[HEAD]](%[[I:.*]]: i64, %[[ACC:.*]]: i64):
  // CHECK-NEXT: %[[CMP:.*]] = llvm.icmp "slt" %[[I]], %{{.*}} : i64
  // CHECK-NEXT: llvm.cond_br %[[CMP]], ^[[BODY:.*]], ^[[EXIT:.*]]
  // CHECK:      llvm.br ^[[HEAD]](%{{.*}}, %{{.*}} : i64, i64)
  // CHECK:      ^[[EXIT]]:
  // CHECK-NEXT: llvm.return %[[ACC]] : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %c0) -> (index) {
    %next = arith.addi %acc, %i : index
    scf.yield %next : index
  }
  func.return %r : index
}
