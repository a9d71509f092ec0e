// ARGS: run {} --func f --save {}/out
// ERROR: is not a directory
func.func @f(%A: memref<4xf32>) {
  func.return
}
