"""A real minibatch without a download: scikit-learn's handwritten digits
(1797 8x8 grey images, 10 classes, shipped with the package) upsampled to
CIFAR's 32x32x3."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_SIZE = 32


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor, float, float]:
    """All digits as (N, 1, 32, 32) float32 images, their labels, and the
    mean and standard deviation of those images' pixels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32)).unsqueeze(1)
    images = F.interpolate(
        images, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False
    )
    labels = torch.from_numpy(digits.target.astype(np.int64))
    return images, labels, float(images.mean()), float(images.std())


def dataset_size() -> int:
    """The number of images `minibatch` draws from."""
    return int(_digits()[1].shape[0])


def minibatch(seed: int, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """`size` distinct digits drawn by `numpy.random.default_rng(seed)`:
    images (size, 3, 32, 32) float32 (bilinear upsampling of the 8x8 digits,
    the grey level in all three channels), normalised with the mean and
    standard deviation of the whole upsampled dataset (so it has zero mean and
    unit variance, and a batch does not depend on what else was drawn), and
    labels (size,) int64 in [0, 10).  The same seed gives the same batch."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    images, labels, mean, std = _digits()
    n = int(labels.shape[0])
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or not 1 <= size <= n:
        raise ValueError(f"size must be an integer in [1, {n}], got {size!r}")
    index = np.random.default_rng(int(seed)).choice(n, size=int(size), replace=False)
    chosen = torch.from_numpy(index.astype(np.int64))
    batch = ((images[chosen] - mean) / std).expand(-1, 3, -1, -1).contiguous()
    return batch, labels[chosen].clone()


__all__ = ["IMAGE_SIZE", "dataset_size", "minibatch"]
