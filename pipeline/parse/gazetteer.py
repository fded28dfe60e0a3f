"""cpca, the gazetteer of China's divisions, loaded once per process and only when a place is wanted."""

from __future__ import annotations

import importlib.resources
import sys
import types
from functools import lru_cache
from typing import Any

# The gazetteer's placeholder rows (a province's 市辖区, a city's 县 ...): no government of their own.
PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@lru_cache(maxsize=1)
def cpca() -> Any:
    """The cpca module. It reads its table of divisions at import through pkg_resources, whose own import
    (about 70 ms, every worker process) is all setuptools machinery: its one call, resource_stream, is
    given here by importlib.resources for the time of that import, unless pkg_resources is loaded already."""
    if "cpca" in sys.modules or "pkg_resources" in sys.modules:
        import cpca as module

        return module
    shim = types.ModuleType("pkg_resources")
    shim.resource_stream = lambda package, name: importlib.resources.files(package).joinpath(name).open("rb")  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim
    try:
        import cpca as module
    finally:
        if sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]
    return module
