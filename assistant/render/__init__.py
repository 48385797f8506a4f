"""One renderer per surface, each drawing a typed ``Answer``: ``markdown`` (web, CLI ``--plain``,
the JSON ``answer`` field), ``prompt`` (the generator's status block). Nothing parses rendered text back."""
