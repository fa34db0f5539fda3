"""Curation as data: typed operations on a layer's mapping, history, keywords, saving."""
