"""Great-Power Triangles: data, model and widgets for a course on the US-China-Russia triangle."""

__version__ = "1.0.0"
