"""ocpiwh: mirror OCPI Sender modules into a Parquet lake and query it with DuckDB."""

__version__ = "0.1.0"
