// ARGS: run {} --func f --inputs {tmp}/absent.npy
// ERROR: No such file or directory
func.func @f(%A: memref<4xf32>) {
  func.return
}
