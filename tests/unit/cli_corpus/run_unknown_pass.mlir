// ARGS: run {} --func f -p no-such-pass
// ERROR: invalid pipeline 'no-such-pass'
func.func @f(%A: memref<4xf32>) {
  func.return
}
