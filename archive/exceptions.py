"""Errors raised by ``gongkai.archive``."""


class ArchiveError(RuntimeError):
    """Raised by the archive when the database cannot be opened or upgraded; the message
    names the database URL (without password) and the cause."""


class NotArchived(LookupError):
    """Raised by queries when a URL or version asked for is not in the archive."""


class QueryError(ValueError):
    """Raised by search, show and export when what was asked cannot be answered as asked (a
    query with nothing to search for, a date that is not a date); the message says which."""
