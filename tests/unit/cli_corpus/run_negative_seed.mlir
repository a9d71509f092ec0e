// ARGS: run {} --func f --seed -3
// ERROR: the seed must be non-negative
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
