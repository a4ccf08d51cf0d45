"""Backups of one box: the SQLite database (online), the photo files, a checksummed manifest."""
