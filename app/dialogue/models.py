"""Models of the dialogue domain."""

from __future__ import annotations
