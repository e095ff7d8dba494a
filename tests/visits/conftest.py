"""Visit fixtures live in tests/fixtures_visits.py (registered by tests/conftest.py) so every folder can use them."""
