// ARGS: run {} --func f
// ERROR: Redefinition of symbol
func.func @f(%A: memref<4xf32>) {
  func.return
}
func.func @f(%A: memref<4xf32>) {
  func.return
}
