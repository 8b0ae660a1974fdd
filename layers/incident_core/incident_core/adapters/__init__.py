"""One adapter per outside system, each behind a small interface and created once per container."""
