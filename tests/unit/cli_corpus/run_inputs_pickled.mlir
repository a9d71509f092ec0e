// ARGS: run {} --func f --inputs {corpus}/inputs/pickled.npy
// ERROR: holds Python objects (pickled data), which are never loaded
func.func @f(%A: memref<4xf64>) {
  func.return
}
