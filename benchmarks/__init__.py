"""Benchmarks of the mixroute clients against raw httpx; run ``python -m benchmarks.run``."""
