"""Inference components (issue 25): what one instance offers and how copies pack onto instances
(``placement``), and each model's share of a components sizing (``models``)."""
