// ARGS: run {} --func f -p peel-loops{loop=}
// ERROR: invalid pipeline 'peel-loops{loop=}'
func.func @f(%A: memref<4xf32>) {
  func.return
}
