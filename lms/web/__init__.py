"""The neutral web layer: helpers that pages and API routes of every feature share.

It imports no feature, so any feature (and the pages above them all) may import it.
"""
