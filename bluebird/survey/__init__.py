"""Satisfaction surveys filled in by the owner (满意度调查, 000 考核5): links, answers, statistics."""
