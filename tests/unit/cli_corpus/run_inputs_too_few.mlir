// ARGS: run {} --func f --inputs {corpus}/inputs/f32_4.npy
// ERROR: @f takes 2 arrays, --inputs gives 1
func.func @f(%A: memref<4xf32>, %B: memref<4xf32>) {
  func.return
}
