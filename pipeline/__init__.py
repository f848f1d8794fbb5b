"""Reproducible survey-and-interview pipeline for old residential community renovation studies.

Stages (``python -m pipeline STAGE --study PATH``): ingest, clean, and ``run`` for all that exist.
Heavy libraries are imported inside the stages so that ``--help`` answers at once.
"""

__version__ = "0.1.0"
