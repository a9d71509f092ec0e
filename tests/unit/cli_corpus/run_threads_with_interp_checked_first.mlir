// ARGS: run {} --func nope --backend interp --threads 4 --save {tmp}/out
// ERROR: --threads 4 needs --backend jit
func.func @f(%A: memref<4xf32>) {
  func.return
}
