"""Reminders that reach people: the in-app inbox, web push and the WeCom robot."""
