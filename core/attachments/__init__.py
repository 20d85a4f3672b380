"""Attachments of any subject (photos, evidence, application materials): checked, stored
content-addressed with their SHA-256, immutable once recorded, thumbnailed by a task."""
