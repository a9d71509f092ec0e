"""Neural architecture search as program-transformation search.

For each convolution of a network, candidates are pass pipelines applied to
the layer's loop-nest program (`space`); each is measured by exact FLOP and
parameter counts, native time beside PyTorch's, and Fisher Potential at
initialisation; the Fisher rule rejects those that lose too much of it, and
the whole-network choice minimises total conv time among the accepted
(`run`, `results`).  `docs/exploration.md` explains the outputs.

Importing this package needs neither torch nor Dask: they are imported when
a run needs them (the `explore` extra).
"""

from xdsl_group.explore.networks import NETWORKS, ConvLayer, Network, from_torch, network
from xdsl_group.explore.run import evaluate, run

__all__ = ["NETWORKS", "ConvLayer", "Network", "evaluate", "from_torch", "network", "run"]
