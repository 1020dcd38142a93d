"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A preset's layers must have distinct ids, a rule JSON Schema cannot state (`uniqueItems` compares whole
items), so schema-valid bodies may repeat a layer id and the server rightly refuses them (422 naming
`layers[i].id`). Exactly those refusals are dropped from positive_data_acceptance's failures; any other
rejection of schema-valid data, of presets or anything else, still fails the run.

Likewise, a schema-valid body can be larger than the API reads (16 KiB, `MAX_BODY_BYTES`, a limit a JSON
Schema cannot state for a whole body): the server's documented 413 `payload_too_large` for a body that is
really that large is dropped too.
"""
import json
import re

import schemathesis

LAYER_ID = re.compile(r"^layers\[\d+\]\.id$")


def _repeats_a_layer_id(body):
    layers = body.get("layers") if isinstance(body, dict) else None
    if not isinstance(layers, list):
        return False
    ids = [layer.get("id") for layer in layers if isinstance(layer, dict)]
    return len(ids) != len(set(map(json.dumps, ids)))


MAX_BODY_BYTES = 16 * 1024


def _too_large(case, response):
    try:
        code = json.loads(response.content)["error"]["code"]
        size = len(json.dumps(case.body).encode())
    except (ValueError, KeyError, TypeError):
        return False
    # json.dumps escapes non-ASCII, so it measures at least what the client sent, give or take spacing.
    return code == "payload_too_large" and size > MAX_BODY_BYTES * 0.8


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) == "ST202" and response.status_code == 413:
        return not _too_large(case, response)
    if getattr(failure, "code", None) != "ST202" or response.status_code != 422:
        return True
    try:
        field = json.loads(response.content)["error"]["field"]
    except (ValueError, KeyError, TypeError):
        return True
    return not (LAYER_ID.match(str(field)) and _repeats_a_layer_id(case.body))
