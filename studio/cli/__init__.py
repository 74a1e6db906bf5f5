"""Headless commands. Each command lives in its own module with `add_parser(subparsers)`;
the window calls the same core functions these commands call."""
