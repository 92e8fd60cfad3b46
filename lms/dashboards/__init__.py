"""Pages for people: server-rendered dashboards for each role, in the NHS.UK design system."""
