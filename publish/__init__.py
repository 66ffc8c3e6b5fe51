"""Publishing: turn the checked sources into a finished site/ (and, later, its PDFs) in one step."""
