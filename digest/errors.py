"""Every error digest raises on purpose.

Each message is shown to the user as ``Error: <message>``, so it is a full sentence that names
the thing at fault (file and key, source, template and line, SMTP host) and, where a fix is
known, says what to do.

    DigestError
    ├── ConfigError      the configuration file is missing or invalid (exit code 2)
    ├── FetchError       a source could not be read (HTTP, file system)
    ├── FeedError        a feed could not be parsed
    ├── ExtractError     no article text could be found in a page
    ├── SummarizeError   a text could not be summarised
    ├── RenderError      a template failed to parse or render
    ├── DeliveryError    a digest could not be delivered (SMTP, outbox folder)
    ├── SubscriptionError  a subscription was given bad values, or is unknown (exit code 2)
    ├── ServiceError     `digest serve` cannot start (another one runs on the store)
    └── StoreError       the SQLite store could not be opened or written
"""

from __future__ import annotations


class DigestError(Exception):
    """Base class; the message is displayed to the user as it is."""

    exit_code = 1

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(DigestError):
    """The configuration is missing or invalid."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            text = self.problems[0]
        else:
            text = f"{len(self.problems)} problems in the configuration:\n" + "\n".join(
                f"  - {problem}" for problem in self.problems
            )
        super().__init__(text)


class FetchError(DigestError):
    """A source or a linked page could not be fetched."""


class FeedError(DigestError):
    """Bytes that should be a feed could not be parsed as one."""


class ExtractError(DigestError):
    """No article text could be extracted."""


class SummarizeError(DigestError):
    """A text could not be summarised."""


class RenderError(DigestError):
    """A template could not be parsed or rendered."""


class DeliveryError(DigestError):
    """A digest could not be delivered."""


class SubscriptionError(DigestError):
    """A subscription was given bad values, or names an unknown subscriber; one problem a line."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ServiceError(DigestError):
    """The long-running service cannot start or go on."""


class StoreError(DigestError):
    """The SQLite store could not be opened, migrated or written."""
