// RUN: xdsl-opt %s -p loopnest-convert-affine-to-scf --split-input-file | filecheck %s

// Bound maps with operands (a grouped loop) become arith index arithmetic.

// CHECK-LABEL: func.func @grouped
func.func @grouped(%A: memref<8xf32>) {
  // CHECK:      %[[C0:.*]] = arith.constant 0 : index
  // CHECK-NEXT: %[[C2:.*]] = arith.constant 2 : index
  // CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
  // CHECK-NEXT: scf.for %[[G:.*]] = %[[C0]] to %[[C2]] step %[[C1]] {
  "affine.for"() <{lowerBoundMap = affine_map<() -> (0)>, upperBoundMap = affine_map<() -> (2)>, step = 1 : index, operandSegmentSizes = array<i32: 0, 0, 0>}> ({
  ^bb0(%g: index):
    // CHECK-NEXT: %[[C4:.*]] = arith.constant 4 : index
    // CHECK-NEXT: %[[LB:.*]] = arith.muli %[[G]], %[[C4]] : index
    // CHECK-NEXT: %[[UB:.*]] = arith.addi %[[LB]], %[[C4]] : index
    // CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
    // CHECK-NEXT: scf.for %[[I:.*]] = %[[LB]] to %[[UB]] step %[[ONE]] {
    "affine.for"(%g, %g) <{lowerBoundMap = affine_map<(d0) -> (d0 * 4)>, upperBoundMap = affine_map<(d0) -> (d0 * 4 + 4)>, step = 1 : index, operandSegmentSizes = array<i32: 1, 1, 0>}> ({
    ^bb1(%i: index):
      // CHECK-NEXT: %[[V:.*]] = memref.load %{{.*}}[%[[I]]] : memref<8xf32>
      %v = memref.load %A[%i] : memref<8xf32>
      // CHECK-NEXT: memref.store %[[V]], %{{.*}}[%[[I]]] : memref<8xf32>
      memref.store %v, %A[%i] : memref<8xf32>
      // CHECK-NEXT: }
      "affine.yield"() : () -> ()
    }) {loopnest.name = "i"} : (index, index) -> ()
    "affine.yield"() : () -> ()
  }) {loopnest.name = "g"} : () -> ()
  func.return
}

// -----

// floordiv and mod: mod is made non-negative with a select.

// CHECK-LABEL: func.func @divmod
func.func @divmod(%i: index) -> (index, index) {
  // CHECK:      %[[C3:.*]] = arith.constant 3 : index
  // CHECK-NEXT: %[[Q:.*]] = arith.floordivsi %{{.*}}, %[[C3]] : index
  %q = "affine.apply"(%i) <{map = affine_map<(d0) -> (d0 floordiv 3)>}> : (index) -> index
  // CHECK:      %[[R:.*]] = arith.remsi %{{.*}}, %[[C3b:.*]] : index
  // CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : index
  // CHECK-NEXT: %[[NEG:.*]] = arith.cmpi slt, %[[R]], %[[Z]] : index
  // CHECK-NEXT: %[[SH:.*]] = arith.addi %[[R]], %[[C3b]] : index
  // CHECK-NEXT: %[[M:.*]] = arith.select %[[NEG]], %[[SH]], %[[R]] : index
  %r = "affine.apply"(%i) <{map = affine_map<(d0) -> (d0 mod 3)>}> : (index) -> index
  // CHECK-NEXT: func.return %[[Q]], %[[M]] : index, index
  func.return %q, %r : index, index
}
