"""Independent numpy references for the operators the examples compute.

Written with numpy array operations (no loop nests), so they share nothing
with the code under test.  Layouts follow the seed: O[co][oh][ow],
I[ci][ih][iw], W[co][ci][kh][kw] (no batch dimension).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def conv2d(I: Array, W: Array) -> Array:
    """Dense valid convolution: O[co,oh,ow] = sum I[ci,oh+kh,ow+kw] * W[co,ci,kh,kw]."""
    co, ci, kh, kw = W.shape
    assert I.shape[0] == ci
    oh, ow = I.shape[1] - kh + 1, I.shape[2] - kw + 1
    # windows[ci, oh, ow, kh, kw]
    windows = np.lib.stride_tricks.sliding_window_view(I, (kh, kw), axis=(1, 2))
    out = np.einsum("cyxhw,ochw->oyx", windows.astype(np.float64), W.astype(np.float64))
    assert out.shape == (co, oh, ow)
    return out.astype(I.dtype)


def grouped_conv2d(I: Array, W: Array, groups: int) -> Array:
    """Grouped convolution, each group a dense conv over its channel slice.

    `W` is either full-layout [CO, CI, KH, KW] (only the diagonal blocks are
    used, as after `group-loops` without compaction) or PyTorch's compact
    layout [CO, CI/G, KH, KW].
    """
    co = W.shape[0]
    ci = I.shape[0]
    assert co % groups == 0 and ci % groups == 0
    cog, cig = co // groups, ci // groups
    compact = W.shape[1] == cig and W.shape[1] != ci
    outs = []
    for g in range(groups):
        Ig = I[g * cig : (g + 1) * cig]
        if compact:
            Wg = W[g * cog : (g + 1) * cog]
        else:
            Wg = W[g * cog : (g + 1) * cog, g * cig : (g + 1) * cig]
        outs.append(conv2d(Ig, Wg))
    return np.concatenate(outs, axis=0)


def peeled_grouped_conv2d(I: Array, W: Array, dense: int, groups: int) -> Array:
    """The seed's Example 2: output channels [0, U) are a dense convolution,
    the remaining CO-U are grouped G ways (over all input channels)."""
    co = W.shape[0]
    ci = I.shape[0]
    rest = co - dense
    assert rest % groups == 0 and ci % groups == 0
    head = conv2d(I, W[:dense])
    tail = grouped_conv2d(I, W[dense:], groups)
    assert tail.shape[0] == rest and ci == W.shape[1]
    return np.concatenate([head, tail], axis=0)
