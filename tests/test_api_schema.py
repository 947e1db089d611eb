"""Property-based tests of the API against its own /openapi.json (schemathesis).

Generated requests, valid and invalid, must never get a 5xx, and every response must match
what the document promises (status code, media type, body schema, headers).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402  (after the importorskip)
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from app.api import create_app  # noqa: E402
from app.settings import load_settings  # noqa: E402
from tests.conftest import api_keys_setting  # noqa: E402

_MEANING_CHECKED = {"/v1/chatlogs/score", "/v1/entities/check", "/v1/feedback"}
MAX_EXAMPLES = 25  # per operation and phase: the whole file stays well under a minute

# The app is built at collection (schemathesis reads /openapi.json, which needs no model); the
# fixture below hands it the small model before the first request.
_DB = Path(tempfile.mkdtemp(prefix="canhgiac-schema-")) / "t.db"
APP = create_app(
    load_settings(
        database_url=f"sqlite:///{_DB}",
        api_keys=api_keys_setting(),
        rate_limit_per_minute=0,
        max_text_chars=2000,
        max_batch=20,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _loaded_model(small_classifier):
    APP.state.holder.swap(small_classifier)  # what lifespan does, without reloading a model
    yield
    APP.state.holder.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_schema_no_5xx_and_responses_match(case):
    # Some inputs are valid by schema but not by meaning, and a documented 422 is the right
    # answer: random bytes uploaded as a chat log (unsupported-chatlog-format), a value to look
    # up that is no phone, account, link or handle ("0"), feedback whose fingerprint is not
    # that of its text.
    excluded = [positive_data_acceptance] if case.path in _MEANING_CHECKED else []
    case.call_and_validate(excluded_checks=excluded)
