import json


def handler(event, context):
    # One line per event, so the test can read what each tick delivered.
    print("event: " + json.dumps(event, sort_keys=True))
    return {"ok": True}
