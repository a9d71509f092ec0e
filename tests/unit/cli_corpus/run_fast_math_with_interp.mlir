// ARGS: run {} --func f --backend interp --fast-math
// ERROR: --fast-math needs --backend jit
func.func @f(%A: memref<4xf32>) {
  func.return
}
