// ARGS: run {} --func f --threads 0
// ERROR: argument --threads: the number of threads must be positive, got 0
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
