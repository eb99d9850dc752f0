import os
import time


def handler(event, context):
    """Sleeps DELAY_MS milliseconds: the known cost an experiment measures."""
    time.sleep(int(os.environ["DELAY_MS"]) / 1000)
    return {"slept_ms": int(os.environ["DELAY_MS"])}
