"""Loop-nest programs shared by the unit tests (importable from every test
directory through `conftest.py`)."""

from __future__ import annotations


def conv_text(co: int, ci: int, oh: int, ow: int, k: int = 3, stride: int = 1) -> str:
    """A dense convolution in the seed's loop order."""
    h, w = (oh - 1) * stride + k, (ow - 1) * stride + k
    o_t, i_t, w_t = (
        f"memref<{co}x{oh}x{ow}xf32>",
        f"memref<{ci}x{h}x{w}xf32>",
        f"memref<{co}x{ci}x{k}x{k}xf32>",
    )
    row = "%oh + %kh" if stride == 1 else f"%oh * {stride} + %kh"
    col = "%ow + %kw" if stride == 1 else f"%ow * {stride} + %kw"
    return f"""func.func @conv(%O: {o_t}, %I: {i_t}, %W: {w_t}) {{
  loopnest.for co %co in range({co}) {{
    loopnest.for ci %ci in range({ci}) {{
      loopnest.for oh %oh in range({oh}) {{
        loopnest.for ow %ow in range({ow}) {{
          loopnest.for kh %kh in range({k}) {{
            loopnest.for kw %kw in range({k}) {{
              %o = loopnest.load %O[%co, %oh, %ow] : {o_t}
              %i = loopnest.load %I[%ci, {row}, {col}] : {i_t}
              %w = loopnest.load %W[%co, %ci, %kh, %kw] : {w_t}
              %p = arith.mulf %i, %w : f32
              %s = arith.addf %o, %p : f32
              loopnest.store %s, %O[%co, %oh, %ow] : {o_t}
            }}
          }}
        }}
      }}
    }}
  }}
  func.return
}}"""
