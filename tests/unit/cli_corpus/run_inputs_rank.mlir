// ARGS: run {} --func f --inputs {corpus}/inputs/f32_4x1.npy
// ERROR: needs shape (4,), the file has (4, 1)
func.func @f(%A: memref<4xf32>) {
  func.return
}
