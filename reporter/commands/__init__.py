"""Subcommands that live outside ``reporter.cli``; ``cli`` registers them."""
