"""Models of the followups domain."""

from __future__ import annotations
