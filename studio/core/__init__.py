"""The computing core. Nothing under studio.core imports Qt or a backend plugin directly
(import-linter contracts in pyproject.toml enforce it)."""
