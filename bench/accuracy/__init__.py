"""The accuracy benchmark: `python -m bench.accuracy DATASET_DIR` (see `__main__.py`)."""
