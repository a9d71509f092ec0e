// ARGS: run {} --func f --optimize
// ERROR: unrecognized arguments: --optimize
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
