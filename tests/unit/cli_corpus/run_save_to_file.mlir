// ARGS: run {} --func f --save {}
// ERROR: it exists and is not a directory
func.func @f(%A: memref<4xf32>) {
  func.return
}
