def handler(event, context):
    # Every request fails: the gateway answers 502 and its span fails.
    raise ValueError("broken on purpose")
