// ARGS: run {} --func f --inputs {corpus}/inputs/f32_4.npy {corpus}/inputs/f32_4.npy
// ERROR: @f takes 1 arrays, --inputs gives 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
