// RUN: xdsl-opt %s -p convert-loopnest-to-affine | filecheck %s
// RUN: xdsl-opt %s -p convert-loopnest-to-affine | xdsl-opt | filecheck %s
// RUN: xdsl-opt %s -p convert-loopnest-to-affine{affine-accesses=true} --print-op-generic | filecheck %s --check-prefix=AFFINE

// CHECK-LABEL: func.func @grouped
// CHECK-NEXT:    affine.for %[[G:.*]] = 0 to 2 {
// CHECK-NEXT:      affine.for %[[I:.*]] = affine_map<(d0) -> ((d0 * 4))>(%[[G]]) to affine_map<(d0) -> (((d0 * 4) + 4))>(%[[G]]) {
// CHECK-NEXT:        affine.for %[[J:.*]] = affine_map<(d0) -> ((d0 floordiv 2))>(%[[I]]) to 10 step 2 {
// CHECK-NEXT:          %[[IDX:.*]] = affine.apply affine_map<(d0, d1) -> (((d0 + d1) + 1))> (%[[I]], %[[J]])
// CHECK-NEXT:          %[[V:.*]] = memref.load %{{.*}}[%[[I]], %[[IDX]]] : memref<8x16xf32>
// CHECK-NEXT:          memref.store %[[V]], %{{.*}}[%[[I]], %[[J]]] : memref<8x16xf32>
// CHECK-NEXT:        } {loopnest.name = "j"}
// CHECK-NEXT:      } {loopnest.name = "i"}
// CHECK-NEXT:    } {loopnest.name = "g"}
// CHECK-NEXT:    func.return

// AFFINE: "affine.load"(%{{.*}}, %{{.*}}, %{{.*}}) <{map = affine_map<(d0, d1) -> (d0, ((d0 + d1) + 1))>}>
// AFFINE: "affine.store"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{map = affine_map<(d0, d1) -> (d0, d1)>}>
func.func @grouped(%A: memref<8x16xf32>) {
  loopnest.for g %g in range(2) {
    loopnest.for i %i in range(%g * 4, %g * 4 + 4) {
      loopnest.for j %j in range(%i floordiv 2, 10, 2) {
        %v = loopnest.load %A[%i, %i + %j + 1] : memref<8x16xf32>
        loopnest.store %v, %A[%i, %j] : memref<8x16xf32>
      }
    }
  }
  func.return
}
