"""REPLICATE_MODEL: an official model's owner/name or a version id, each to its own endpoint."""

from __future__ import annotations

import pytest
from aipic import settings
from aipic.replicate_model import (
    InvalidReplicateModelError,
    ReplicateModel,
    parse_replicate_model,
)
from aipic.settings import SettingsError

from tests.conftest import handler_environment

VERSION_ID = "ac732df83cea7fff18b8472768c88ad041fa750ff7682a21affe81863cbe77e4"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Official models: their own endpoint, no version (Replicate runs the latest).
        (
            "stability-ai/stable-diffusion-3.5-large",
            ReplicateModel("/models/stability-ai/stable-diffusion-3.5-large/predictions"),
        ),
        (
            "black-forest-labs/flux-schnell",
            ReplicateModel("/models/black-forest-labs/flux-schnell/predictions"),
        ),
        # Versions, bare or named: /predictions with the version id alone.
        (VERSION_ID, ReplicateModel("/predictions", {"version": VERSION_ID})),
        (
            f"stability-ai/stable-diffusion:{VERSION_ID}",
            ReplicateModel("/predictions", {"version": VERSION_ID}),
        ),
        (f"  {VERSION_ID}\n", ReplicateModel("/predictions", {"version": VERSION_ID})),
    ],
)
def test_each_form_names_its_endpoint_and_body(value: str, expected: ReplicateModel) -> None:
    assert parse_replicate_model(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "stable-diffusion-3.5-large",  # no owner
        "https://replicate.com/stability-ai/sdxl",  # a URL, not a name
        "stability-ai/sdxl/extra",
        "../../predictions/abc/cancel",  # never a path of our choosing
        "Stability-AI/SDXL",  # Replicate's names are lowercase
        VERSION_ID[:12],  # a short id
        VERSION_ID.upper(),
        f"stability-ai/sdxl:{VERSION_ID[:12]}",
    ],
)
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(InvalidReplicateModelError, match="owner/name"):
        parse_replicate_model(value)


def test_settings_name_the_variable_of_an_unusable_model() -> None:
    env = {**handler_environment(), "REPLICATE_MODEL": "stable-diffusion"}
    with pytest.raises(SettingsError, match="REPLICATE_MODEL: a Replicate model must be"):
        settings.load_generate_settings(env)


def test_settings_carry_the_parsed_model() -> None:
    env = {**handler_environment(), "REPLICATE_MODEL": "stability-ai/stable-diffusion-3.5-large"}
    model = settings.load_generate_settings(env).model
    assert model.predictions_path == "/models/stability-ai/stable-diffusion-3.5-large/predictions"
    assert model.body_fields == {}
