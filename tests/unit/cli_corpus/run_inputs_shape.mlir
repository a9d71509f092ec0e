// ARGS: run {} --func f --inputs {corpus}/inputs/f32_5.npy
// ERROR: needs shape (4,), the file has (5,)
func.func @f(%A: memref<4xf32>) {
  func.return
}
