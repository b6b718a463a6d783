"""Spinebot core: settings, database and logging shared by every package."""

__version__ = "0.1.0"
