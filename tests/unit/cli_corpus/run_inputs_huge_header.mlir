// ARGS: run {} --func f --inputs {corpus}/inputs/huge_header.npy
// ERROR: needs shape (4,), the file has (1000000, 1000000)
func.func @f(%A: memref<4xf32>) {
  func.return
}
