// ARGS: run {} --func f --threads two
// ERROR: argument --threads: expected an integer, got 'two'
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
