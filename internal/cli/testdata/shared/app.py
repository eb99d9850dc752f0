import json


def handler(event, context):
    # One line per event: the test counts the ticks each process ran.
    print("tick: " + event["time"])
    return {"ok": True}
