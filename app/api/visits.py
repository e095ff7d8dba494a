"""/api/v1 endpoints of visits: visits, findings, evidence, responses, transitions and the report."""

from __future__ import annotations
