"""The kiosk spoken aloud: synthetic voices made at build time, human recordings that replace them.

speech.py makes sound from text (one engine, espeak-ng, behind a small interface); opus.py turns
sound into the compact clips the kiosk plays and checks uploaded recordings; phrases.py says what
there is to speak (every catalog message, cut at its placeholders); cache.py builds the clips,
named by their content; recordings.py keeps the administrators' human recordings.
"""
