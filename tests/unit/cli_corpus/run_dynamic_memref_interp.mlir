// ARGS: run {} --func f --backend interp
// ERROR: argument #1 %B has the dynamic shape memref<4x?xf32>
func.func @f(%A: memref<4xf32>, %B: memref<4x?xf32>) {
  func.return
}
