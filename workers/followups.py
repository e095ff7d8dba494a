"""Tasks of the followups domain: JSON arguments (ids), idempotent, calling app services."""

from __future__ import annotations
