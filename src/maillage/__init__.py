"""maillage: build and run a *schéma de services à la population*.

The package follows the data flow of a diagnostic:

``sources`` (official formats read as published) → ``territory`` and ``services``
(a study area, its service points and their typology) → ``network`` (road travel
times) → ``indicators`` → ``outputs``. ``cli`` is a thin layer over the library.
"""

from maillage._errors import InputFileError, MaillageError, UnknownTerritoryError

__all__ = ["InputFileError", "MaillageError", "UnknownTerritoryError", "__version__"]
__version__ = "0.1.0"
