"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A preset's layers must have distinct ids, a rule JSON Schema cannot state (`uniqueItems` compares whole
items), so schema-valid bodies may repeat a layer id and the server rightly refuses them (422 naming
`layers[i].id`). Exactly those refusals are dropped from positive_data_acceptance's failures; any other
rejection of schema-valid data, of presets or anything else, still fails the run.
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


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST202" or response.status_code != 422:
        return True
    try:
        field = json.loads(response.content)["error"]["field"]
    except (ValueError, KeyError, TypeError):
        return True
    return not (LAYER_ID.match(str(field)) and _repeats_a_layer_id(case.body))
