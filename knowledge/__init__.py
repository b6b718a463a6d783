"""Knowledge: ingest documents, index them, retrieve passages and write cited answers."""
