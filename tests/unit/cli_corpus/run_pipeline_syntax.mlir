// ARGS: run {} --func f -p peel-loops{
// ERROR: invalid pipeline 'peel-loops{': Expected argument name here
func.func @f(%A: memref<4xf32>) {
  func.return
}
