"""End-to-end recipes: scripts a reader follows top to bottom (``python -m modeling_lauragpt.training.recipes.demo``)."""
