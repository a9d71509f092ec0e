// ARGS: run {} --func g
// ERROR: no function @g in
func.func @f(%A: memref<4xf32>) {
  func.return
}
