// ARGS: run {} --func f
// ERROR: default (contiguous) layout
func.func @f(%A: memref<4xf32, strided<[2]>>) {
  func.return
}
