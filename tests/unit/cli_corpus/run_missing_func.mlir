// ARGS: run {}
// ERROR: the following arguments are required: --func
// STATUS: 2
func.func @f(%A: memref<4xf32>) {
  func.return
}
