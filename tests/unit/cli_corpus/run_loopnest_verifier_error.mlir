// ARGS: run {} --func f
// ERROR: loop name 'i' is already used by an enclosing loop
func.func @f(%A: memref<4xf32>) {
  loopnest.for i %i in range(4) {
    loopnest.for i %j in range(4) {
    }
  }
  func.return
}
