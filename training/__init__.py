"""Training: data adapters and the task mixture, the collator, the multi-task Trainer recipe, codec and vocoder
training, evaluation, metrics, PEFT fine-tuning and the demo corpus builder (``docs/training.md``)."""
