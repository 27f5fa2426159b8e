"""Get the official datasets too large to ship: BPE, OpenStreetMap extracts, Filosofi grid.

``maillage telecharger`` downloads them from their publishers (:mod:`.catalogue`), safely
(:mod:`.fetch`), into a cache a study then reads without further options (:mod:`.cache`);
files fetched by hand are imported with the same checks (:mod:`.importing`).
"""

from maillage.download.cache import (
    CachedData,
    default_cache_dir,
    ensure_datasets,
    find_cached,
)
from maillage.download.catalogue import Catalogue, Entry, load_catalogue
from maillage.download.fetch import DownloadError

__all__ = [
    "CachedData",
    "Catalogue",
    "DownloadError",
    "Entry",
    "default_cache_dir",
    "ensure_datasets",
    "find_cached",
    "load_catalogue",
]
