"""satprofit."""
