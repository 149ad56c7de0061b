"""The machine's clock moved forward, for every Python process of the suite.

With ``TANDEM_TEST_CLOCK_SHIFT_DAYS`` set, ``tests/conftest.py`` puts this folder first on
``PYTHONPATH``, so Python imports this module at start-up in every process the suite starts
(pytest's workers, the app's servers, the command line) as well as in pytest's own. It moves
the wall clock (``time.time``, ``datetime.now``, ``date.today``) forward with time-machine;
the monotonic clock, which timeouts and timers count on, is left alone, as it is when a
machine's date is set forward. (libfaketime moves the monotonic clock too, or breaks
``time.sleep`` when told not to, so it cannot show this for Python.)
"""

from __future__ import annotations

import datetime as dt
import os

SHIFTED_DAYS = int(os.environ.get("TANDEM_TEST_CLOCK_SHIFT_DAYS") or 0)

if SHIFTED_DAYS:
    import time_machine

    time_machine.travel(
        dt.datetime.now(dt.UTC) + dt.timedelta(days=SHIFTED_DAYS), tick=True
    ).start()
