"""Offline machine translation with Argos Translate language packages.

``packages`` installs and lists packages (CLI and worker only); ``engine``
runs them with CTranslate2 and SentencePiece and is imported by the worker
alone: web processes never load a model.
"""
