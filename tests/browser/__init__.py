"""Browser tests: Debian's Chromium through Playwright against a live server."""
