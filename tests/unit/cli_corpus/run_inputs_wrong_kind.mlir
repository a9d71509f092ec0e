// ARGS: run {} --func f --inputs {corpus}/inputs/i32_4_big_endian.npy
// ERROR: needs dtype float32, the file has >i4
func.func @f(%A: memref<4xf32>) {
  func.return
}
