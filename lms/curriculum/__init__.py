"""The curriculum: theme-aligned modules, their activities, and participants' progress."""
