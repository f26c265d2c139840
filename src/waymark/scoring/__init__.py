"""waymark.scoring: lead scores per person and account per product, aligned to journey stages."""
