"""Outcomes: paired statistics of self-ratings, disclosure control, and their API."""
