// ARGS: run {} --func f --inputs {corpus}/inputs/archive.npz
// ERROR: archive.npz is not a .npy file
func.func @f(%A: memref<4xf32>) {
  func.return
}
