"""Visits (走访) and contact: visit records, familiarity (客户熟悉度), the weekly visit plan,
renovation after-sales calls (开工祝贺, 在施工回访)."""
