"""Errors raised by ``gongkai.parsers``.

Parsers are pure functions over bytes; they raise only for input that cannot be read at all.
Anything merely odd about a page becomes a warning on the result instead, so one bad page
never stops a batch.
"""


class ParseError(ValueError):
    """Raised by :func:`gongkai.parsers.report.parse` when a body holds no text to work with
    (empty, binary, or undecodable); the message is one line saying what was wrong."""
