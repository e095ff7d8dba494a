"""Shared pieces every domain uses: base models, errors, access policy, audit trail, mail, task queueing."""
