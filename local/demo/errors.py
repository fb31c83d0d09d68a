"""The demo's failure kinds, each with its own exit status and a message for the user."""

from __future__ import annotations

EXIT_OK = 0
EXIT_PICTURE_FAILED = 1  # a picture did not end as asked (FAILED without --fail, or vice versa)
EXIT_SETUP_FAILED = 3  # a tool is missing, a port is taken, the emulator or Terraform failed
EXIT_TIMEOUT = 4  # the pictures did not finish within --timeout
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


class DemoError(Exception):
    """A step failed; ``str()`` is what the user reads, ``exit_code`` what the shell sees."""

    exit_code = EXIT_SETUP_FAILED


class SetupError(DemoError):
    exit_code = EXIT_SETUP_FAILED


class DemoTimeoutError(DemoError):
    exit_code = EXIT_TIMEOUT


class PictureOutcomeError(DemoError):
    exit_code = EXIT_PICTURE_FAILED
