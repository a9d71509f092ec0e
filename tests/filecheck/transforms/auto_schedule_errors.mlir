// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'auto-schedule{registers=1}' | filecheck %s
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'auto-schedule{registers=-4}' | filecheck %s --check-prefix=NEG

// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'auto-schedule{max_unrolled=0}' | filecheck %s --check-prefix=UNROLL
// RUN: xdsl-opt %examples/conv2d.mlir --verify-diagnostics -p 'auto-schedule{vector_bits=100}' | filecheck %s --check-prefix=WIDTH

// CHECK: error: auto-schedule: registers must be 0 (the host's) or at least 2, got 1
// NEG: error: auto-schedule: registers must be 0 (the host's) or at least 2, got -4
// UNROLL: error: auto-schedule: max_unrolled must be at least 1, got 0
// WIDTH: error: auto-schedule: vector_bits must be 0 (the host's) or a positive multiple of 32, got 100
