"""The ``nwp500`` command (``python -m nwp500``). A tool beside the library: ``import nwp500``
does not load it."""
