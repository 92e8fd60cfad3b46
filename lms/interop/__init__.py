"""Other systems' formats: a CASE package, Moodle and Canvas CSV of the framework."""
