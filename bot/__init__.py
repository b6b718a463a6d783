"""Spinebot's Slack layer and command-line entry point."""
