"""The work behind each command-line command (imported only after argument parsing)."""
