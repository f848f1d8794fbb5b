"""The survey wing: the questionnaire model, readers of platform exports (``io/``), the ingest
stage (exports → one respondent-by-item table) and the clean stage (quality rules)."""
