"""Lowering of `loopnest` to `affine` and to the `llvm` dialect, with the
conversions the native path needs (registered under `loopnest-` names)."""
