"""Train the one-step codec vocoder with the Hugging Face ``Trainer``.

Data: rows with the target speech and, optionally, what the vocoder is conditioned on at inference::

    {"audio": clip, "text": "what is said", "noisy_audio": clip, "prompt_audio": clip, "codes": [[...], ...]}

- ``audio``: the clean target speech (1-D array at 16 kHz, ``{"array", "sampling_rate"}`` dict or a ``datasets``
  audio value). Not needed when ``codes`` holds its precomputed all-group codes (``codec.add_codec_codes``).
- ``text`` (TTS condition), ``noisy_audio`` (SE condition: its LFR features), ``prompt_audio`` or
  ``prompt_codes`` (zero-shot TTS condition): optional, per row.

The codec stays frozen. The input first-group codes are corrupted (``config.codec_input_corruption``) inside the
model's forward, in training mode only, so evaluation batches stay clean::

    trainer = train_vocoder(vocoder, processor, dataset, "out/vocoder", max_steps=2000)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import Trainer, TrainingArguments

from ..codec import encode_codes, first_group
from ..errors import InvalidInputError
from ..modeling_vocoder import LauraGPTVocoder
from ..processing.processing_lauragpt import LauraGPTProcessor
from ..processing.tokenizer_utils import plain_text_ids, vocoder_text_tokenizer


def _pad(rows: list[torch.Tensor | None]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad tensors (``None`` = no value for that row) along their last dim; mask (batch, max_len).

    Every present tensor has the same shape except its last dim, which is at least 1 in the output.
    """
    template = next(r for r in rows if r is not None)
    lengths = [0 if r is None else r.shape[-1] for r in rows]
    padded = template.new_zeros((len(rows), *template.shape[:-1], max(1, max(lengths))))
    for i, r in enumerate(rows):
        if r is not None:
            padded[i, ..., : r.shape[-1]] = r
    mask = (torch.arange(padded.shape[-1])[None] < torch.tensor(lengths)[:, None]).long()
    return padded, mask


@dataclass
class VocoderCollator:
    """Rows -> ``LauraGPTVocoder.forward`` keyword arguments (codes, codes_mask, target_codes and the conditions).

    Args:
        processor: the LLM-side ``LauraGPTProcessor``: its tokenizer gives the text condition's ids (the LLM's text
            ids, so the vocoder sees at inference what it saw in training) and its feature extractor the SE
            condition's features (the tower's own: LFR fbank, or Whisper's log-mel frame-major, as the pipeline
            gives them at inference).
        vocoder: the vocoder being trained; its frozen codec (either codec class) encodes rows that lack
            precomputed codes.
        audio_column, text_column, noisy_audio_column, prompt_audio_column, prompt_codes_column, codes_column:
            row keys (see the module docstring).
        encode_batch_size: clips per codec call when codes are computed here.
    """

    processor: LauraGPTProcessor
    vocoder: LauraGPTVocoder
    audio_column: str = "audio"
    text_column: str = "text"
    noisy_audio_column: str = "noisy_audio"
    prompt_audio_column: str = "prompt_audio"
    prompt_codes_column: str = "prompt_codes"
    codes_column: str = "codes"
    encode_batch_size: int = 8

    def _codes(self, rows: list[dict], codes_key: str, audio_key: str) -> list[torch.Tensor | None]:
        """All-group codes (num_quantizers, frames) per row: precomputed, else encoded from audio, else None."""
        codes = [
            None if row.get(codes_key) is None else torch.as_tensor(row[codes_key], dtype=torch.long) for row in rows
        ]
        missing = [i for i, c in enumerate(codes) if c is None and rows[i].get(audio_key) is not None]
        if missing:
            encoded = encode_codes(self.vocoder.codec, [rows[i][audio_key] for i in missing], self.encode_batch_size)
            for i, c in zip(missing, encoded):
                codes[i] = c
        return codes

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        """
        rows : list of dicts (see the module docstring)
        returns : codes (batch, frames), codes_mask (batch, frames), target_codes (batch, num_quantizers, frames),
            and, when any row has them: text_ids / text_mask (batch, tokens), input_features (batch, feature_frames,
            feature_size) / input_features_mask, prompt_codes (batch, num_quantizers, prompt_frames) / prompt_codes_mask
        """
        targets = self._codes(rows, self.codes_column, self.audio_column)
        if any(t is None for t in targets):
            row = next(i for i, t in enumerate(targets) if t is None)
            raise InvalidInputError(
                f"Row {row} has neither {self.audio_column!r} nor {self.codes_column!r}: the vocoder needs target speech."
            )
        target_codes, codes_mask = _pad(targets)
        batch = {"codes": first_group(target_codes), "codes_mask": codes_mask, "target_codes": target_codes}

        texts = [row.get(self.text_column) for row in rows]
        if any(t is not None for t in texts):
            tokenizer = vocoder_text_tokenizer(self.vocoder, self.processor)
            ids = [None if t is None else torch.tensor(plain_text_ids(tokenizer, t), dtype=torch.long) for t in texts]
            batch["text_ids"], batch["text_mask"] = _pad(ids)

        noisy = [i for i, row in enumerate(rows) if row.get(self.noisy_audio_column) is not None]
        if noisy:  # the features the pipeline gives the vocoder at inference: the tower's, frame-major
            waveforms = [self.processor.prepare_waveform(rows[i][self.noisy_audio_column], index=i) for i in noisy]
            feats, feats_mask = self.processor.frame_major_features(self.processor.audio_inputs(waveforms))
            per_row: list[torch.Tensor | None] = [None] * len(rows)
            for j, i in enumerate(noisy):
                real = int(feats_mask[j].sum())
                per_row[i] = feats[j, :real].T  # (feature_size, frames): pad along frames
            features, mask = _pad(per_row)
            batch["input_features"], batch["input_features_mask"] = features.transpose(1, 2), mask

        prompts = self._codes(rows, self.prompt_codes_column, self.prompt_audio_column)
        if any(p is not None for p in prompts):
            batch["prompt_codes"], batch["prompt_codes_mask"] = _pad(prompts)
        return batch


def train_vocoder(
    vocoder: LauraGPTVocoder,
    processor: LauraGPTProcessor,
    train_dataset,
    output_dir: str | Path,
    eval_dataset=None,
    collator: VocoderCollator | None = None,
    **training_args,
) -> Trainer:
    """Train ``vocoder`` (its predictor; the codec stays frozen) with ``transformers.Trainer``, then save it.

    Args:
        vocoder: a ``LauraGPTVocoder`` (e.g. ``LauraGPTVocoder.from_codec(codec, text_vocab_size=...)``).
        processor: the LLM-side ``LauraGPTProcessor`` (tokenizer ids and LFR features for the conditions).
        train_dataset / eval_dataset: ``datasets.Dataset`` (or any map-style dataset) of rows as in the module docstring.
        output_dir: where checkpoints and the final vocoder (``save_pretrained``, with ``processor``'s tokenizer as
            its ``text_tokenizer`` unless it has one) go.
        collator: a ``VocoderCollator`` with non-default columns (default: ``VocoderCollator(processor, vocoder)``).
        **training_args: ``TrainingArguments`` fields, overriding these defaults: learning_rate 1e-3, batch size 8,
            1 epoch, constant learning rate after 0 warmup steps, logging every 10 steps, no intermediate saves,
            CPU when no GPU is visible, ``remove_unused_columns=False`` (the collator reads raw rows),
            ``label_names=["target_codes"]`` and ``prediction_loss_only=True`` (evaluation reports the loss).

    Returns:
        the ``Trainer`` after training (``trainer.state.log_history`` holds the losses).
    """
    args = {
        "output_dir": str(output_dir),
        "learning_rate": 1e-3,
        "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 8,
        "num_train_epochs": 1,
        "lr_scheduler_type": "constant",
        "logging_steps": 10,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": not torch.cuda.is_available(),
        "remove_unused_columns": False,
        "label_names": ["target_codes"],
        "prediction_loss_only": True,
        "dataloader_num_workers": 0,
        "dataloader_pin_memory": False,
    }
    args.update(training_args)
    trainer = Trainer(
        model=vocoder,
        args=TrainingArguments(**args),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=collator or VocoderCollator(processor, vocoder),
    )
    if vocoder.text_tokenizer is None:  # the saved vocoder keeps the tokenizer its text condition was trained on
        vocoder.text_tokenizer = processor.tokenizer
    trainer.train()
    trainer.save_model(str(output_dir))
    return trainer


__all__ = ["VocoderCollator", "train_vocoder"]
