// ARGS: run {} --func f --backend interp --threads 2
// ERROR: --threads 2 needs --backend jit (the interpreter runs on one thread)
func.func @f(%A: memref<4xf32>) {
  func.return
}
