// ARGS: run {} --func f -p 'peel-loops{loop=i count=x}'
// ERROR: invalid pipeline 'peel-loops{loop=i count=x}': Incompatible types
func.func @f(%A: memref<4xf32>) {
  func.return
}
