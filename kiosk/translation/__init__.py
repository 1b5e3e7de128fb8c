"""Offline machine translation with Argos Translate language packages.

``packages`` lists, checks, installs and removes packages; the web process
uses only its standard-library parts (listing, the cheap archive checks,
removal), and a package is installed, model loaded, by the worker or the CLI.
``engine`` runs packages with CTranslate2 and SentencePiece and is imported by
the worker alone: web processes never load a model.
"""
