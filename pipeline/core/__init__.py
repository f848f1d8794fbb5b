"""The core both wings stand on: the study file, the stage registry and runner (atomic stage
folders, manifests, the per-study lock, safe CSV writing), errors, text normalisation and the
personal-data patterns shared by survey answers and transcripts."""
