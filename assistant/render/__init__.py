"""One renderer per surface; each draws a typed Answer and never parses text back."""
