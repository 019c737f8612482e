"""kejiwatch: a data platform for Chinese science-and-technology bureau portals."""

__version__ = "0.1.0"
