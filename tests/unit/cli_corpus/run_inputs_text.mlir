// ARGS: run {} --func f --inputs {corpus}/inputs/text.npy
// ERROR: text.npy is not a .npy file
func.func @f(%A: memref<4xf32>) {
  func.return
}
