"""Portfolio: use cases, votes, weekly metrics, audit trail, trends and digest data."""
