"""A picture's progress, read from the logs Replicate's ``logs`` webhook carries.

Stable Diffusion models on Replicate (diffusers under cog) print a tqdm bar per denoising
step, ``" 46%|████▌     | 23/50 [00:02<00:02, 10.1it/s]"``, and every webhook carries the
prediction's whole log so far: the last bar is where the run is. Progress is the share of
steps done (``k/n``, 0 to 100, more exact than the rounded percentage shown).

Replicate sends a ``logs`` event at most every 500 ms, so a long run sends many. Progress
is stored only when it reaches the next ``PROGRESS_STEP`` (10, 20, … 100), never lower
than what is stored and never on a final picture (a conditional write, see
:meth:`aipic.pics.PicsRepository.record_progress`): one picture makes at most
``100 // PROGRESS_STEP`` progress writes, and so at most that many progress events.
"""

from __future__ import annotations

import re

PROGRESS_STEP = 10
# A bar is a short line; the tail of the log holds the last one. Bounds the scan of a
# long log (the whole log comes with every event).
MAX_LOG_TAIL_CHARS = 4096
# tqdm's default meter: "<desc>: NN%|<bar>| k/n [...]"; k/n decides.
_TQDM_BAR = re.compile(r"(\d{1,3})%\|[^|\r\n]{0,200}\|\s*(\d{1,6})/(\d{1,6})")


def logged_progress(logs: object) -> int | None:
    """The last progress bar's share of steps done, 0 to 100; None without a bar."""
    if not isinstance(logs, str) or not logs:
        return None
    last = None
    for last in _TQDM_BAR.finditer(logs[-MAX_LOG_TAIL_CHARS:]):  # noqa: B007 - the last one
        pass
    if last is None:
        return None
    done, total = int(last[2]), int(last[3])
    if total == 0 or done > total:
        return None
    return done * 100 // total


def progress_to_record(logs: object, recorded: int) -> int | None:
    """The progress step to store for these logs, or None when it is not past ``recorded``."""
    percent = logged_progress(logs)
    if percent is None:
        return None
    step = percent // PROGRESS_STEP * PROGRESS_STEP
    return step if step > recorded else None
