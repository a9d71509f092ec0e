// ARGS: run {} --func f
// ERROR: @f argument #0 %A has the dynamic shape memref<?xf32>; run supports static shapes only
func.func @f(%A: memref<?xf32>) {
  func.return
}
