"""The framework: themes, key behaviours, cross-framework links and leadership levels."""
