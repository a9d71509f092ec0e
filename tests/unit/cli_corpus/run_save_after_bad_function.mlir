// ARGS: run {} --func f --save {tmp}/out
// ERROR: dynamic shape
func.func @f(%A: memref<?xf32>) {
  func.return
}
