"""The programme, organisations, cohorts, enrolments and sponsors."""
