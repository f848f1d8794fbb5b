"""Reports: tables and figures written as Excel, Word, Markdown and LaTeX (zh/en)."""
