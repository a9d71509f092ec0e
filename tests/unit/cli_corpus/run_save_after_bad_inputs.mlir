// ARGS: run {} --func f --inputs {corpus}/inputs/f32_5.npy --save {tmp}/out
// ERROR: needs shape (4,)
func.func @f(%A: memref<4xf32>) {
  func.return
}
