"""What the handlers decide, as pure functions: no boto3, no HTTP, no clock.

A handler parses its event, asks these functions what to do, and applies the answer
through its adapters (the pics repository, the image transfer, the Replicate client); each
adapter's result is fed back here for the next step. ``tests/handlers/test_decisions_*``
run the whole answer tables in memory.
"""
