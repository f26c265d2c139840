"""Composition: builds the features over the storage ports and runs the processing pipeline."""
