"""Self-ratings: pre, retrospective "then" and post assessments against every behaviour."""
