"""What a user reads in ``failureReason``: short, actionable, free of internals.

Every write of ``failureReason`` takes one of these constants. The detail an operator
needs (parameter names, hosts, ports, HTTP statuses, Replicate's error text) goes to the
logs next to the write, never to the user: the schema promises "words a user can act on".
"""

from __future__ import annotations

from typing import Final

# generate
SERVICE_MISCONFIGURED: Final = (
    "The picture service is not set up correctly right now; try again later."
)
IMAGE_SERVICE_UNAVAILABLE: Final = "The image service is unavailable; try again later."
IMAGE_SERVICE_REFUSED: Final = (
    "The image service refused to make this picture; try again later or change the settings."
)

# webhook: the prediction's outcome
PREDICTION_FAILED: Final = (
    "The image model could not make this picture; try again or change the prompt."
)
PREDICTION_BLOCKED: Final = (
    "The image model's safety filter blocked this picture; try a different prompt."
)
PREDICTION_CANCELED: Final = "The picture was canceled before it was finished; try again."
NO_OUTPUT: Final = "The image model finished without a picture; try again."

# webhook: fetching and storing the finished picture
IMAGE_SOURCE_REFUSED: Final = (
    "The finished picture came from a location this service does not fetch from; try again."
)
IMAGE_GONE: Final = (
    "The finished picture was no longer available from the image service; try again."
)
IMAGE_NOT_STORABLE: Final = (
    "The image service returned something that is not a picture we store; try again."
)
IMAGE_TOO_LARGE: Final = (
    "The picture is larger than this service stores; try a smaller width and height."
)
IMAGE_TOO_SLOW: Final = "The image service was too slow to deliver the picture; try again later."
IMAGE_NOT_SAVED: Final = "The picture could not be saved; try again later."


# sweeper: the picture's deadline passed (a lost event or webhook)
def not_ready_within(minutes: int) -> str:
    return f"Your picture was not ready within {minutes} minutes and was stopped; try again."
