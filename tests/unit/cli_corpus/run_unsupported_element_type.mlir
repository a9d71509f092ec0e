// ARGS: run {} --func f
// ERROR: has element type i8; run supports f32, f64, i32 and i64
func.func @f(%A: memref<4xi8>) {
  func.return
}
