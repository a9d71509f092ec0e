// RUN: xdsl-opt %s -p convert-loopnest-to-llvm | filecheck %s
// RUN: xdsl-opt %s -p convert-loopnest-to-llvm -t llvm | filecheck %s --check-prefix=LLVM
// RUN: xdsl-opt %examples/conv2d_grouped.mlir -p convert-loopnest-to-llvm -t llvm | filecheck %s --check-prefix=CONV

// A grouped loop (bounds with operands) down to the llvm dialect: the bounds
// are computed from the outer induction variable, each loop is a header
// block with an i64 induction variable.

// CHECK-LABEL: llvm.func @grouped
// CHECK-SAME:  (%O_allocated: !llvm.ptr, %O_aligned: !llvm.ptr, %O_offset: i64, %O_size0: i64, %O_stride0: i64, %I_allocated: !llvm.ptr, %I_aligned: !llvm.ptr, %I_offset: i64, %I_size0: i64, %I_stride0: i64)
// CHECK:        llvm.br ^[[GH:.*]](%{{.*}} : i64)
// CHECK-NEXT: ^[[GH]](%[[G:.*]]: i64):
// CHECK-NEXT:   %[[GC:.*]] = llvm.icmp "slt" %[[G]], %{{.*}} : i64
// CHECK-NEXT:   llvm.cond_br %[[GC]], ^{{.*}}, ^[[GEXIT:.*]]
// CHECK:        %[[C4:.*]] = llvm.mlir.constant(4) : i64
// CHECK-NEXT:   %[[LB:.*]] = llvm.mul %[[G]], %[[C4]] : i64
// CHECK-NEXT:   %[[UB:.*]] = llvm.add %[[LB]], %[[C4]] : i64
// CHECK-NEXT:   %[[STEP:.*]] = llvm.mlir.constant(1) : i64
// CHECK-NEXT:   llvm.br ^[[IH:.*]](%[[LB]] : i64)
// CHECK-NEXT: ^[[IH]](%[[I:.*]]: i64):
// CHECK-NEXT:   %[[IC:.*]] = llvm.icmp "slt" %[[I]], %[[UB]] : i64
// CHECK-NEXT:   llvm.cond_br %[[IC]], ^{{.*}}, ^[[IEXIT:.*]]
// CHECK:        %[[OFF:.*]] = llvm.add %[[I]], %{{.*}} : i64
// CHECK-NEXT:   %[[IB:.*]] = llvm.extractvalue %{{.*}}[1]
// CHECK-NEXT:   %[[IP:.*]] = llvm.getelementptr inbounds %[[IB]][%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT:   %[[V:.*]] = llvm.load %[[IP]] : !llvm.ptr -> f32
// CHECK:        %[[O:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK-NEXT:   %[[S:.*]] = llvm.fadd %[[O]], %[[V]] : f32
// CHECK:        llvm.store %[[S]], %{{.*}} : f32, !llvm.ptr
// CHECK-NEXT:   %[[NEXT:.*]] = llvm.add %[[I]], %[[STEP]] : i64
// CHECK-NEXT:   llvm.br ^[[IH]](%[[NEXT]] : i64)
// CHECK-NEXT: ^[[IEXIT]]:
// CHECK:      ^[[GEXIT]]:
// CHECK-NEXT:   llvm.return
// CHECK-NOT:  loopnest
// CHECK-NOT:  unrealized_conversion_cast
builtin.module {
  func.func @grouped(%O: memref<8xf32>, %I: memref<10xf32>) {
    loopnest.for g %g in range(2) {
      loopnest.for i %i in range(%g * 4, %g * 4 + 4) {
        %v = loopnest.load %I[%i + 2] : memref<10xf32>
        %o = loopnest.load %O[%i] : memref<8xf32>
        %s = arith.addf %o, %v : f32
        loopnest.store %s, %O[%i] : memref<8xf32>
      }
    }
    func.return
  }
}

// LLVM-LABEL: define void @"grouped"(ptr %".1", ptr %".2", i64 %".3", i64 %".4", i64 %".5", ptr %".6", ptr %".7", i64 %".8", i64 %".9", i64 %".10")
// LLVM:         phi  i64
// LLVM:         getelementptr inbounds float, ptr
// LLVM:         fadd float
// LLVM:         ret void

// CONV-LABEL: define void @"conv2d_grouped"(
// CONV:         mul {{nuw nsw|nsw nuw}} i64 %{{.*}}, 36
// CONV:         fmul float
// CONV:         fadd float
