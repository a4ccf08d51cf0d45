"""Photo evidence: hostile-upload pipeline, watermark and storage."""
