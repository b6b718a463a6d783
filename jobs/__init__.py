"""Jobs: the one scheduler, the weekly digest, owner nudges and the nightly re-index."""
