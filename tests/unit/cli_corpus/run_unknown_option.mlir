// ARGS: run {} --func f --fast
// ERROR: unrecognized arguments: --fast
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
