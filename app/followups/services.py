"""The rules of the followups domain: module-level functions with an explicit actor; they flush, never commit."""

from __future__ import annotations
