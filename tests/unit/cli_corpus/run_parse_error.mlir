// ARGS: run {} --func f
// ERROR: error: Operation foo.bar is not registered
func.func @f(%A: memref<4xf32>) {
  foo.bar
  func.return
}
