// ARGS: run {} --func f --backend gpu
// ERROR: argument --backend: invalid choice: 'gpu'
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
