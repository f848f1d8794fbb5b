"""Findings: the problem catalogue and the joint display of survey and interview evidence."""
