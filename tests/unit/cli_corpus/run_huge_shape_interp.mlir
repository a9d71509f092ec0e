// ARGS: run {} --func f --backend interp
// ERROR: bytes of memory of this machine
func.func @f(%B: memref<4xf32>, %A: memref<99999999999999999999xf32>) {
  func.return
}
