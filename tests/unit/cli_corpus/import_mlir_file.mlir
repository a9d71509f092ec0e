// ARGS: import {}
// ERROR: is MLIR, not Python: run it with 'xdsl-group run
func.func @f(%A: memref<4xf32>) {
  func.return
}
