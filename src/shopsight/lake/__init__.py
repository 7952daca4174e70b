"""The lake adapter: files and Delta tables under a local folder or s3:// root."""

from shopsight.lake.store import CURATED, PROD, RAW, REJECTED, Lake, LakeFile, safe_key

__all__ = ["CURATED", "PROD", "RAW", "REJECTED", "Lake", "LakeFile", "safe_key"]
