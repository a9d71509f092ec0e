// ARGS: run {} --func f
// ERROR: argument #1 %n has type index; run passes memrefs only
func.func @f(%A: memref<4xf32>, %n: index) {
  func.return
}
