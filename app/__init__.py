"""Dangjian 智慧党建 API."""

__version__ = "0.1.0"
