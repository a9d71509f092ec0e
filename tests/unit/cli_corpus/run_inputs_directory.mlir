// ARGS: run {} --func f --inputs {corpus}/inputs
// ERROR: Is a directory
func.func @f(%A: memref<4xf32>) {
  func.return
}
