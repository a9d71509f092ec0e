"""Makes `tests/unit`'s helper modules (`programs.py`) importable from the
test subdirectories, whatever directory pytest was started from."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
