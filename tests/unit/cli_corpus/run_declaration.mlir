// ARGS: run {} --func f
// ERROR: @f is a declaration without a body
func.func private @f(memref<4xf32>)
