"""The demo académie: deterministic fictitious data for trying Préau (`preau demo`)."""
