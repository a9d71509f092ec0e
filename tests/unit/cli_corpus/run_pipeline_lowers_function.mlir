// ARGS: run {} --func f -p convert-loopnest-to-llvm
// ERROR: @f is an llvm.func after the pipeline
func.func @f(%A: memref<4xf32>) {
  func.return
}
