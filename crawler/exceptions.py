"""Errors raised by ``gongkai.crawler``."""


class ConfigError(ValueError):
    """Raised by :mod:`gongkai.crawler.config` for a config file that cannot be used.

    The message is one line naming the file, the key and what was expected; the CLI prints it
    and exits with status 2.
    """

    def __init__(self, path: str, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.path, self.key, self.problem = path, key, problem
