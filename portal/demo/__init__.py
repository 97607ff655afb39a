"""Demo data: real and synthetic histories mapped into the portal's import formats."""
