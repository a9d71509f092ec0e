"""Raising of upstream `affine` loop nests to `loopnest`."""
