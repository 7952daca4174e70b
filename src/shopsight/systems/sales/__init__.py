"""The sales data platform: store uploads, the daily analysis, and data access."""
