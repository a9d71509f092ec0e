# Python identifiers outside ASCII print as MLIR string escapes (loop and
# function names) or as numbered values (arguments), and parse back.
# RUN: xdsl-group import %s | filecheck %s
# RUN: xdsl-group import %s | xdsl-opt | xdsl-opt | filecheck %s
# RUN: xdsl-group import %s | xdsl-opt -p loopnest-check-bounds | filecheck %s

from numpy import *


def fé(Aé: f32[4, 3], B: f32[4]):
    for é in range(4):
        for attributes in range(3):
            Aé[é, attributes] += B[é]

# CHECK-LABEL: func.func @"f\C3\A9"
# CHECK-SAME:    (%[[A:[0-9]+]]: memref<4x3xf32>, %[[B:B]]: memref<4xf32>) {
# CHECK-NEXT:    loopnest.for "\C3\A9" %[[I:[0-9]+]] in range(4) {
# CHECK-NEXT:      loopnest.for "attributes" %[[J:.*]] in range(3) {
# CHECK-NEXT:        %[[OLD:.*]] = loopnest.load %[[A]][%[[I]], %[[J]]] : memref<4x3xf32>
# CHECK-NEXT:        %[[X:.*]] = loopnest.load %[[B]][%[[I]]] : memref<4xf32>
# CHECK-NEXT:        %[[SUM:.*]] = arith.addf %[[OLD]], %[[X]] : f32
# CHECK-NEXT:        loopnest.store %[[SUM]], %[[A]][%[[I]], %[[J]]] : memref<4x3xf32>
# CHECK-NEXT:      }
# CHECK-NEXT:    }
# CHECK-NEXT:    func.return
