// ARGS: run {} --func f --inputs {corpus}/inputs/f64_4.npy
// ERROR: needs dtype float32, the file has float64
func.func @f(%A: memref<4xf32>) {
  func.return
}
