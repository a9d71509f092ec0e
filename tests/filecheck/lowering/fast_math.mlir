// RUN: xdsl-opt %s -p 'convert-loopnest-to-llvm{fast-math=true}' | filecheck %s
// RUN: xdsl-opt %s -p 'convert-loopnest-to-llvm{fast-math=true}' -t llvm | filecheck %s --check-prefix=LLVM
// RUN: xdsl-opt %s -p convert-loopnest-to-llvm | filecheck %s --check-prefix=EXACT

// `fast-math=true` marks floating adds, subtracts and multiplies `contract`
// (LLVM may fuse them into FMAs) and nothing else: no reassociation, no
// assumptions about NaNs, infinities or signed zeros; divisions, negations
// and integer arithmetic are untouched.  By default no flag is set.

// CHECK-LABEL: llvm.func @axpy
// CHECK:         %[[P:.*]] = llvm.fmul %{{.*}}, %{{.*}} {fastmathFlags = #llvm.fastmath<contract>} : f32
// CHECK-NEXT:    %[[S:.*]] = llvm.fadd %{{.*}}, %[[P]] {fastmathFlags = #llvm.fastmath<contract>} : f32
// CHECK-NEXT:    %[[D:.*]] = llvm.fsub %[[S]], %{{.*}} {fastmathFlags = #llvm.fastmath<contract>} : f32
// CHECK-NEXT:    %[[Q:.*]] = llvm.fdiv %[[D]], %{{.*}} : f32
// CHECK-NEXT:    %{{.*}} = llvm.fneg %[[Q]] : f32

// LLVM-LABEL: define void @"axpy"
// LLVM:         fmul contract float
// LLVM-NEXT:    fadd contract float
// LLVM-NEXT:    fsub contract float
// LLVM-NEXT:    fdiv float

// EXACT-NOT: fastmath
func.func @axpy(%Y: memref<8xf32>, %X: memref<8xf32>, %A: memref<1xf32>) {
  loopnest.for i %i in range(8) {
    %a = loopnest.load %A[0] : memref<1xf32>
    %x = loopnest.load %X[%i] : memref<8xf32>
    %y = loopnest.load %Y[%i] : memref<8xf32>
    %p = arith.mulf %a, %x : f32
    %s = arith.addf %y, %p : f32
    %d = arith.subf %s, %x : f32
    %q = arith.divf %d, %a : f32
    %n = arith.negf %q : f32
    loopnest.store %n, %Y[%i] : memref<8xf32>
  }
  func.return
}
