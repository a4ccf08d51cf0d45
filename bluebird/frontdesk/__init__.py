"""The front desk (前台): phone log, visitors, messages, parcels, keys and the shift hand-over."""
