"""Datasets for LauraGPT training: one canonical example format (``schema``), adapters from Hub datasets to it,
codec targets, and the multi-task mixture."""
