"""The data package's error: every bad corpus, dataset or preparation option raises it."""


class CBOWDataError(ValueError):
    """A corpus or data option that cannot work; the message names it and the fix."""
