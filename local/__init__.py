"""The local stack: the whole system on one machine, on moto, with the real handlers.

Importing it puts the core layer on `sys.path`, as the Lambda runtime puts `/opt/python`.
"""

import sys
from pathlib import Path

_CORE_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "core")
if _CORE_LAYER not in sys.path:
    sys.path.append(_CORE_LAYER)
