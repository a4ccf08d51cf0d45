"""HTTP bench: Bluebird under gunicorn against a bare Flask+Jinja page, and bytes on the wire.

Run from the repository root:

    .venv/bin/python bench/http.py                          # SQLite, gunicorn.conf.py's settings
    .venv/bin/python bench/http.py --mixes 1x8,2x4,2x8,4x2  # also the mixed load per workers x threads
    .venv/bin/python bench/http.py --database-url postgresql://postgres@127.0.0.1:5432/test --workers 4

It seeds a fresh database (bench/foundation.py's office: the demo estate at --scale, its
open cases, 20,000 duties, 200 of them open on butler1's agenda), then starts the app the
way the README says (`gunicorn -c gunicorn.conf.py app:app`, settings from the file
unless --workers/--threads) and the bare page (`bench/_bare.py`: 100 rows, no database)
with the same settings. Loads come from wrk (Debian's `wrk`) when it is installed, else
from a Python client with one thread per connection; --clients connections at once
(default 8), every request as a browser sends it (the session cookie, `Accept-Encoding:
gzip, deflate, br, zstd`). The pages run in interleaved blocks (agenda, bare, case
list, case page; the next round in the opposite order), so a busy machine slows them
alike. Then Chromium (Debian's, 390 px, service workers on) loads the agenda cold and
navigates on, through a byte-counting proxy in front of gunicorn.

Figures (stdout, `bench: <name> <value> <unit>`):
  agenda_ratio_vs_bare, case_list_ratio_vs_bare, case_page_ratio_vs_bare
                         requests/s of the page ÷ requests/s of the bare page, same run
  <page>_rps, <page>_p99_ms   each page's rate and its 99th percentile under the load
  mixed_rps, mixed_errors     90% reads (agenda, case list, case pages, unit pages) and
                              10% case registrations (POST /cases/new, each its own
                              client_uuid); errors = non-2xx/3xx answers + socket errors
  mixed_rps_<w>x<t>, mixed_errors_<w>x<t>   the same per --mixes setting
  first_visit_kb        every byte gunicorn sent for a cold first visit of the agenda
                        (headers, page, shell, the service worker and its install), signed in
  offline_copies_kb     then, once: the field pages the worker keeps for offline use as
                        soon as it takes charge (its requests say `Purpose: prefetch`);
                        first_visit_kb + offline_copies_kb is all a first visit costs
  repeat_nav_kb         the mean bytes of a full navigation after that (case list, a case,
                        the agenda again); repeat_nav_max_kb the largest
  repeat_nav_revalidations   conditional requests and 304s during those navigations

Targets (issue 16): every ratio >= 0.5, mixed_rps >= 300 with 0 errors on 2 cores,
first_visit_kb <= 60, repeat_nav_kb <= 10 with 0 revalidations. This bench replaces
foundation.py's in-process `throughput_ratio_vs_bare`. On a shared machine the absolute
rates move with the neighbours; the ratios, measured in one interleaved run, much less.
"""
import os
import sys

# This file is named like the standard library's `http`, and running any script in bench/
# puts this folder first on sys.path: werkzeug's `from http import HTTPStatus` would then
# land here. So the folder comes off the path, and when this file is imported as `http`
# it hands over to the real package (the import returns what sys.modules holds after).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
if __name__ == "http":
    import importlib

    del sys.modules["http"]
    sys.modules["http"] = importlib.import_module("http")
elif __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(_HERE))
    from bench._http_load import main

    sys.exit(main())
