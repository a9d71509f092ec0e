// ARGS: run {} --func f
// ERROR: unexpected end of file (in block definition)
func.func @f(%A: memref<4xf32>) {
  %x = arith.constant 1 : i32
