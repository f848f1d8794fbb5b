"""The interview wing: transcripts (layouts, speakers, roster), redaction, word segmentation,
the codebook and the coder, agreement with human coders, the suggester, REFI-QDA exchange and
topic models."""
