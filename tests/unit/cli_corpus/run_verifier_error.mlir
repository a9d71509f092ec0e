// ARGS: run {} --func f
// ERROR: Expected arguments to have the same types as the function output types
func.func @f(%A: memref<4xf32>) {
  %c = arith.constant 1.0 : f32
  func.return %c : f32
}
