"""Loopnest IR text for the benchmark's convolution variants.

A stand-in for the transformation passes: `conv_ir(order, groups, peel)`
emits the seed's convolution with its loops in `order`, its `co`/`ci` loops
grouped `groups` ways and the first `peel` output channels peeled off as a
dense convolution (the seed's Example 2).  The same variants come from
`xdsl_group.apply(dense, "interchange-loops{order=...}")`,
`"group-loops{loops=co,ci groups=G}"` and `"peel-loops{loop=co count=U}"`.
"""

from __future__ import annotations

SEED_ORDER = ("co", "ci", "oh", "ow", "kh", "kw")


def _nest(order, ranges, body, indent):
    lines = []
    for depth, name in enumerate(order):
        lines.append(" " * (indent + 2 * depth) + f"loopnest.for {name} %{name} in range({ranges[name]}) {{")
    pad = " " * (indent + 2 * len(order))
    lines += [pad + line for line in body]
    for depth in reversed(range(len(order))):
        lines.append(" " * (indent + 2 * depth) + "}")
    return lines


def conv_ir(
    CO: int = 64, CI: int = 64, H: int = 56, W: int = 56, K: int = 3,
    order=SEED_ORDER, groups: int = 1, peel: int = 0, name: str = "conv",
) -> str:
    OH, OW = H - K + 1, W - K + 1
    o_t, i_t, w_t = f"memref<{CO}x{OH}x{OW}xf32>", f"memref<{CI}x{H}x{W}xf32>", f"memref<{CO}x{CI}x{K}x{K}xf32>"
    body = [
        f"%o = loopnest.load %O[%co, %oh, %ow] : {o_t}",
        f"%i = loopnest.load %I[%ci, %oh + %kh, %ow + %kw] : {i_t}",
        f"%w = loopnest.load %W[%co, %ci, %kh, %kw] : {w_t}",
        "%p = arith.mulf %i, %w : f32",
        "%s = arith.addf %o, %p : f32",
        f"loopnest.store %s, %O[%co, %oh, %ow] : {o_t}",
    ]
    sizes = {"oh": str(OH), "ow": str(OW), "kh": str(K), "kw": str(K)}
    lines: list[str] = []
    if peel:
        lines += _nest(order, {**sizes, "co": str(peel), "ci": str(CI)}, body, 4)
    rest = CO - peel
    if groups == 1:
        co_range = f"{peel}, {CO}" if peel else str(CO)
        lines += _nest(order, {**sizes, "co": co_range, "ci": str(CI)}, body, 4)
    else:
        cog, cig = rest // groups, CI // groups
        ranges = {
            **sizes,
            "co": f"%g * {cog} + {peel}, %g * {cog} + {peel + cog}",
            "ci": f"%g * {cig}, %g * {cig} + {cig}",
        }
        inner = _nest(order, ranges, body, 0)
        lines.append(f"    loopnest.for g %g in range({groups}) {{")
        lines += ["  " + " " * 4 + line for line in inner]
        lines.append("    }")
    return "\n".join(
        [
            "builtin.module {",
            f"  func.func @{name}(%O: {o_t}, %I: {i_t}, %W: {w_t}) {{",
            *lines,
            "    func.return",
            "  }",
            "}",
        ]
    )


if __name__ == "__main__":
    print(conv_ir(8, 8, 8, 8, order=SEED_ORDER, groups=2, peel=2))
