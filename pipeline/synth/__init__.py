"""Synthetic reports rendered from the templates (PDF, DOCX, HTML, text, with real-world quirks) and the
bundled sample site with its registry. Takes a seed, gives bytes whose numbers are known."""
