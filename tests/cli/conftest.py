from __future__ import annotations

import sys
from pathlib import Path

# the hand-made OCPI objects of tests/warehouse
sys.path.insert(0, str(Path(__file__).parents[1] / "warehouse"))
