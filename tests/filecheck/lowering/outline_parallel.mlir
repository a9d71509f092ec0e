// RUN: xdsl-opt %s -p 'convert-loopnest-to-llvm{parallel=true noalias=true}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p convert-loopnest-to-llvm --split-input-file | filecheck %s --check-prefix=SEQ

// Without `parallel=true` the marks are ignored: the loops stay in place.
// SEQ-NOT: loopnest_parallel_for
// SEQ-NOT: .parallel

// The outermost `parallel` loop of each nest becomes a chunk function over
// the iterations [lo, hi); the function stores the chunk's arguments (here
// the descriptor of %A: 7 slots) into a stack context and calls the runtime
// with the chunk's trampoline and the trip count, or, while the runtime's
// request counter is 0 (no call wants more than one thread), the trampoline
// itself on the whole range.  The inner marked loop `j` is not outlined
// again: it runs inside the chunk of `i`.

// CHECK:       llvm.mlir.global external @loopnest_parallel_requests() {addr_space = 0 : i32} : i64
// CHECK-NEXT:  llvm.func @loopnest_parallel_for(!llvm.ptr, !llvm.ptr, i64)
// CHECK-LABEL: llvm.func @nests(
// CHECK:         %[[N1:.*]] = llvm.mlir.constant(12) : i64
// CHECK-NEXT:    %[[CTX1:.*]] = llvm.alloca %[[N1]] x !llvm.ptr {alignment = 8 : i64} : (i64) -> !llvm.ptr
// CHECK-NEXT:    %[[N0:.*]] = llvm.mlir.constant(7) : i64
// CHECK-NEXT:    %[[CTX0:.*]] = llvm.alloca %[[N0]] x !llvm.ptr {alignment = 8 : i64} : (i64) -> !llvm.ptr
// CHECK-NEXT:    %[[LB0:.*]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT:    %[[UB0:.*]] = llvm.mlir.constant(8) : i64
// CHECK-NEXT:    %[[ALLOC:.*]] = llvm.extractvalue %[[A:.*]][0]
// CHECK-NEXT:    %[[ALIGNED:.*]] = llvm.extractvalue %[[A]][1]
// CHECK:         %[[S0:.*]] = llvm.getelementptr %[[CTX0]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    llvm.store %[[ALLOC]], %[[S0]] : !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    %[[S1:.*]] = llvm.getelementptr %[[CTX0]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    llvm.store %[[ALIGNED]], %[[S1]] : !llvm.ptr, !llvm.ptr
// CHECK:         %[[S6:.*]] = llvm.getelementptr %[[CTX0]][6] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK-NEXT:    llvm.store %{{.*}}, %[[S6]] : i64, !llvm.ptr
// CHECK-NEXT:    %[[SPAN0:.*]] = llvm.sub %[[UB0]], %[[LB0]] : i64
// CHECK-NEXT:    %[[Z0:.*]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT:    %[[P0:.*]] = llvm.icmp "sgt" %[[SPAN0]], %[[Z0]] : i64
// CHECK-NEXT:    %[[TRIP0:.*]] = llvm.select %[[P0]], %[[SPAN0]], %[[Z0]] : i1, i64
// CHECK-NEXT:    %[[RA:.*]] = llvm.mlir.addressof @loopnest_parallel_requests : !llvm.ptr
// CHECK-NEXT:    %[[R:.*]] = llvm.load %[[RA]] : !llvm.ptr -> i64
// CHECK-NEXT:    %[[ZERO:.*]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT:    %[[NONE:.*]] = llvm.icmp "eq" %[[R]], %[[ZERO]] : i64
// CHECK-NEXT:    llvm.cond_br %[[NONE]], ^[[HERE:.*]], ^[[RUNTIME:.*]]
// CHECK-NEXT:  ^[[HERE]]:
// CHECK-NEXT:    llvm.call @nests.parallel0.entry(%[[CTX0]], %[[ZERO]], %[[TRIP0]]) : (!llvm.ptr, i64, i64) -> ()
// CHECK-NEXT:    llvm.br ^[[JOIN:.*]]
// CHECK-NEXT:  ^[[RUNTIME]]:
// CHECK-NEXT:    %[[E0:.*]] = llvm.mlir.addressof @nests.parallel0.entry : !llvm.ptr
// CHECK-NEXT:    llvm.call @loopnest_parallel_for(%[[E0]], %[[CTX0]], %[[TRIP0]]) : (!llvm.ptr, !llvm.ptr, i64) -> ()
// CHECK-NEXT:    llvm.br ^[[JOIN]]
// CHECK-NEXT:  ^[[JOIN]]:
// The second nest, `range(1, 8, 3)`: trip count (8 - 1 + 2) / 3 = 3.
// CHECK-NEXT:    %[[LB1:.*]] = llvm.mlir.constant(1) : i64
// CHECK-NEXT:    %[[UB1:.*]] = llvm.mlir.constant(8) : i64
// CHECK-NEXT:    %[[STEP1:.*]] = llvm.mlir.constant(3) : i64
// CHECK:         %[[SPAN1:.*]] = llvm.sub %[[UB1]], %[[LB1]] : i64
// CHECK-NEXT:    %[[BIAS:.*]] = llvm.mlir.constant(2) : i64
// CHECK-NEXT:    %[[UP:.*]] = llvm.add %[[SPAN1]], %[[BIAS]] : i64
// CHECK-NEXT:    %[[Q:.*]] = llvm.sdiv %[[UP]], %[[STEP1]] : i64
// CHECK:         %[[TRIP1:.*]] = llvm.select %{{.*}}, %[[Q]], %{{.*}} : i1, i64
// CHECK:         llvm.call @nests.parallel1.entry(%[[CTX1]], %{{.*}}, %[[TRIP1]]) : (!llvm.ptr, i64, i64) -> ()
// CHECK:         %[[E1:.*]] = llvm.mlir.addressof @nests.parallel1.entry : !llvm.ptr
// CHECK-NEXT:    llvm.call @loopnest_parallel_for(%[[E1]], %[[CTX1]], %[[TRIP1]]) : (!llvm.ptr, !llvm.ptr, i64) -> ()
// CHECK-NEXT:    llvm.br ^[[JOIN1:.*]]
// CHECK-NEXT:  ^[[JOIN1]]:
// CHECK-NEXT:    llvm.return
// CHECK-NEXT:  }

// The chunk of `i`: iterations lb + lo * step <= i < lb + hi * step, with `j`
// (still a loop) inside; its pointers are `noalias` like the function's.
// CHECK-LABEL: llvm.func @nests.parallel0(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr {llvm.noalias}, %{{[^:]*}}: !llvm.ptr {llvm.noalias}
// CHECK-SAME:    %[[LO:[^:]*]]: i64, %[[HI:[^:]*]]: i64) {
// CHECK:         %[[CLB:.*]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT:    %[[CSTEP:.*]] = llvm.mlir.constant(1) : i64
// CHECK-NEXT:    %[[LOS:.*]] = llvm.mul %[[LO]], %[[CSTEP]] : i64
// CHECK-NEXT:    %[[START:.*]] = llvm.add %[[CLB]], %[[LOS]] : i64
// CHECK-NEXT:    %[[HIS:.*]] = llvm.mul %[[HI]], %[[CSTEP]] : i64
// CHECK-NEXT:    %[[END:.*]] = llvm.add %[[CLB]], %[[HIS]] : i64
// CHECK-NEXT:    llvm.br ^[[H:.*]](%[[START]] : i64)
// CHECK-NEXT:  ^[[H]](%[[I:.*]]: i64):
// CHECK-NEXT:    %{{.*}} = llvm.icmp "slt" %[[I]], %[[END]] : i64
// CHECK:         llvm.br ^[[JH:.*]](%[[I]] : i64)
// CHECK-NEXT:  ^[[JH]](%[[J:.*]]: i64):
// CHECK-NOT:     loopnest_parallel_for
// CHECK:         llvm.return
// CHECK-NEXT:  }

// The trampoline loads the chunk's arguments from the context's slots.
// CHECK-LABEL: llvm.func @nests.parallel0.entry(
// CHECK-SAME:    %[[TCTX:[^:]*]]: !llvm.ptr, %[[TLO:[^:]*]]: i64, %[[THI:[^:]*]]: i64) {
// CHECK-NEXT:    %[[T0:.*]] = llvm.getelementptr %[[TCTX]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    %[[V0:.*]] = llvm.load %[[T0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT:    %[[T1:.*]] = llvm.getelementptr %[[TCTX]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT:    %[[V1:.*]] = llvm.load %[[T1]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call @nests.parallel0(%[[V0]], %[[V1]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[TLO]], %[[THI]])
// CHECK-NEXT:    llvm.return
// CHECK-NEXT:  }

// CHECK-LABEL: llvm.func @nests.parallel1(
// CHECK-SAME:    %[[LO1:[^:]*]]: i64, %[[HI1:[^:]*]]: i64) {
// CHECK:         %[[LB:.*]] = llvm.mlir.constant(1) : i64
// CHECK-NEXT:    %[[ST:.*]] = llvm.mlir.constant(3) : i64
// CHECK-NEXT:    %[[LOS1:.*]] = llvm.mul %[[LO1]], %[[ST]] : i64
// CHECK-NEXT:    %{{.*}} = llvm.add %[[LB]], %[[LOS1]] : i64
// CHECK-LABEL: llvm.func @nests.parallel1.entry(
func.func @nests(%A: memref<8x8xf32>, %B: memref<8xf32>) {
  loopnest.for i %i in range(8) parallel {
    loopnest.for j %j in range(%i, 8) parallel {
      %v = loopnest.load %A[%i, %j] : memref<8x8xf32>
      loopnest.store %v, %A[%i, %j] : memref<8x8xf32>
    }
  }
  loopnest.for k %k in range(1, 8, 3) parallel {
    %v = loopnest.load %B[%k] : memref<8xf32>
    %s = loopnest.load %A[0, 0] : memref<8x8xf32>
    %p = arith.mulf %v, %s : f32
    loopnest.store %p, %B[%k] : memref<8xf32>
  }
  func.return
}

// -----

// A marked loop inside a sequential one: the region starts once per
// iteration of `i`, which the chunk receives (first slot, i64), like the
// scalar %s read before the nest (an f32 in slot 8: element 16 of f32).
// The context is allocated once, in the entry block.

// CHECK-LABEL: llvm.func @scalars(
// CHECK:         %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK:         %[[S:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK:       ^{{.*}}(%[[I:.*]]: i64):
// CHECK:         %[[SI:.*]] = llvm.getelementptr %[[CTX]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK-NEXT:    llvm.store %[[I]], %[[SI]] : i64, !llvm.ptr
// CHECK:         %[[SS:.*]] = llvm.getelementptr %[[CTX]][16] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK-NEXT:    llvm.store %[[S]], %[[SS]] : f32, !llvm.ptr
// CHECK-NEXT:    %{{.*}} = llvm.sub %{{.*}}, %[[I]] : i64
// CHECK:         llvm.call @loopnest_parallel_for(%{{.*}}, %[[CTX]], %{{.*}})
// CHECK-LABEL: llvm.func @scalars.parallel0(
// CHECK-SAME:    %[[CI:[^:]*]]: i64, {{.*}}, %[[CS:[^:]*]]: f32, %[[LO:[^:]*]]: i64, %{{[^:]*}}: i64) {
// CHECK:         %{{.*}} = llvm.add %[[CI]], %{{.*}} : i64
// CHECK:         %{{.*}} = llvm.fmul %{{.*}}, %[[CS]] : f32
func.func @scalars(%A: memref<4x8xf32>, %S: memref<2xf32>) {
  %s = loopnest.load %S[1] : memref<2xf32>
  loopnest.for i %i in range(4) {
    loopnest.for j %j in range(%i, 8) parallel {
      %v = loopnest.load %A[%i, %j] : memref<4x8xf32>
      %p = arith.mulf %v, %s : f32
      loopnest.store %p, %A[%i, %j] : memref<4x8xf32>
    }
  }
  func.return
}

// -----

// A chunk's failed check returns from the chunk; after the region (run in
// place or through the runtime) the function returns too if the (atomic)
// error flag is set.

// CHECK-LABEL: llvm.func @checked(
// CHECK:         llvm.call @checked.parallel0.entry(
// CHECK-NEXT:    %[[FLAG0:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
// CHECK-NEXT:    %[[CODE0:.*]] = llvm.load %[[FLAG0]] atomic monotonic {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK-NEXT:    %[[ZERO0:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:    %[[FAILED0:.*]] = llvm.icmp "ne" %[[CODE0]], %[[ZERO0]] : i32
// CHECK-NEXT:    llvm.cond_br %[[FAILED0]], ^[[FAIL0:.*]], ^[[OK0:.*]]
// CHECK-NEXT:  ^[[OK0]]:
// CHECK-NEXT:    llvm.br ^[[JOIN:.*]]
// CHECK:         llvm.call @loopnest_parallel_for(
// CHECK-NEXT:    %[[FLAG:.*]] = llvm.mlir.addressof @loopnest_runtime_error : !llvm.ptr
// CHECK-NEXT:    %[[CODE:.*]] = llvm.load %[[FLAG]] atomic monotonic {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK-NEXT:    %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:    %[[FAILED:.*]] = llvm.icmp "ne" %[[CODE]], %[[ZERO]] : i32
// CHECK-NEXT:    llvm.cond_br %[[FAILED]], ^[[FAIL:.*]], ^[[OK:.*]]
// CHECK-NEXT:  ^[[OK]]:
// CHECK-NEXT:    llvm.br ^[[JOIN]]
// CHECK-NEXT:  ^[[JOIN]]:
// CHECK-NEXT:    llvm.return
// CHECK-NEXT:  ^[[FAIL0]]:
// CHECK-NEXT:    llvm.return
// CHECK-NEXT:  ^[[FAIL]]:
// CHECK-NEXT:    llvm.return
// CHECK-LABEL: llvm.func @checked.parallel0(
// CHECK:         llvm.sdiv
func.func @checked(%O: memref<8xi32>, %A: memref<8xi32>, %B: memref<8xi32>) {
  loopnest.for i %i in range(8) parallel {
    %a = loopnest.load %A[%i] : memref<8xi32>
    %b = loopnest.load %B[%i] : memref<8xi32>
    %q = arith.divsi %a, %b : i32
    loopnest.store %q, %O[%i] : memref<8xi32>
  }
  func.return
}
