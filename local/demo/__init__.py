"""The local demo: one command generates a picture end to end, with no AWS account.

``python -m local.demo --prompt "a lighthouse at dawn"`` (``make demo``) starts moto's
server on 127.0.0.1, applies ``terraform/environments/local`` to it, starts local stand-ins
for Replicate, the webhook's HTTP API and AppSync, and runs each prompt through the real
resolvers and Lambda handlers. See ``local/demo/README.md``.
"""
