// ARGS: run {} --func f
// ERROR: bytes (#0 %A: memref<1000000x1000000xf32>, 4000000000000 bytes), more than the
func.func @f(%A: memref<1000000x1000000xf32>) {
  func.return
}
