// ARGS: run {} --func f --inputs {corpus}/inputs/truncated.npy
// ERROR: cannot load
func.func @f(%A: memref<4xf32>) {
  func.return
}
