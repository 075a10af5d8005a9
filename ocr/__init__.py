"""Digitization of scanned personnel files (人事档案): clean, OCR, paginate, split into materials,
and write a searchable volume. Entry points: ``ocr.pipeline.digitize`` and
``ocr.sample_scans.generate``; commands in ``ocr.cli``."""
