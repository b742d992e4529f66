"""The package version (its own module so that any submodule can read it while
``nwp500`` itself is still importing)."""

__version__ = "3.0.0.dev0"
