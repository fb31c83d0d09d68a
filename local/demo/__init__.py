"""The local demo: one command generates pictures end to end, with no AWS account.

``python -m local.demo --prompt "a lighthouse at dawn"`` (``make demo``) starts the whole
local stack (``local.stack.LocalStack``: the emulator with the Terraform stack applied, or
its cached apply replayed; the function runtime; the AppSync endpoint; the Replicate
stand-in) and then acts as a frontend through ``local.client.PictureClient``. See
``local/demo/README.md``.
"""
