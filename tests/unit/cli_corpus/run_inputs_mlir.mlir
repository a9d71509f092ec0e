// ARGS: run {} --func f --inputs {}
// ERROR: is not a .npy file
func.func @f(%A: memref<4xf32>) {
  func.return
}
