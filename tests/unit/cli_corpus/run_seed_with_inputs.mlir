// ARGS: run {} --func f --inputs {corpus}/inputs/f32_4.npy --seed 1
// ERROR: --seed has no effect with --inputs
func.func @f(%A: memref<4xf32>) {
  func.return
}
