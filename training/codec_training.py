"""Train a ``transformers.EncodecModel`` codec from scratch on speech (for the demo model; FunCodec's own codec is
converted, not trained).

transformers' Encodec is inference-only: its residual vector quantizer has no straight-through gradient and no
codebook update. This module adds both, outside the model, the way SoundStream/EnCodec train:

- straight-through estimator: the decoder sees ``latent + (quantized - latent).detach()``;
- codebooks follow an exponential moving average of the encoder frames assigned to them (the model's own
  ``embed`` / ``embed_avg`` / ``cluster_size`` buffers), dead codewords are re-seeded from current frames;
- losses: L1 on the waveform, L1 on log-mel and on full-band log-magnitude spectrograms at several resolutions
  (the mel filters give the Nyquist bin zero weight, so without the full-band term the decoder is free to add a
  loud alternating-sign tone there), and the commitment loss.

No adversarial loss: a GAN would sharpen the sound but needs far more steps than a CPU demo has. The trained codec
is saved as an ordinary ``EncodecModel`` folder.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torchaudio
from torch import nn
from transformers import EncodecModel

from ..errors import InvalidInputError


@dataclass
class CodecTrainingArguments:
    """Knobs of ``train_codec`` (units in the names)."""

    max_steps: int = 2000
    batch_size: int = 8
    segment_seconds: float = 1.28  # a multiple of the 40 ms hop
    learning_rate: float = 1e-3
    ema_decay: float = 0.95
    commitment_weight: float = 0.25
    spectral_weight: float = 1.0
    waveform_weight: float = 1.0
    dead_code_threshold: float = 0.5  # expected uses per step below which a codeword is re-seeded
    log_every_steps: int = 50
    seed: int = 0


class MultiResolutionSpectralLoss(nn.Module):
    """Mean L1 distance of log-mel and of full-band log-magnitude spectrograms at several FFT sizes."""

    def __init__(self, sampling_rate: int, fft_sizes: Sequence[int] = (256, 512, 1024), n_mels: int = 64):
        super().__init__()
        self.transforms = nn.ModuleList()
        for n_fft in fft_sizes:
            self.transforms.append(
                torchaudio.transforms.MelSpectrogram(
                    sampling_rate, n_fft=n_fft, hop_length=n_fft // 4, n_mels=min(n_mels, n_fft // 8), power=1.0
                )
            )
            self.transforms.append(torchaudio.transforms.Spectrogram(n_fft=n_fft, hop_length=n_fft // 4, power=1.0))

    def forward(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """
        predicted, target : torch.Tensor, shape = (batch, samples)
        returns : scalar loss
        """
        losses = [
            (torch.log(transform(predicted) + 1e-5) - torch.log(transform(target) + 1e-5)).abs().mean()
            for transform in self.transforms
        ]
        return torch.stack(losses).mean()


def quantize_for_training(codec: EncodecModel, latent: torch.Tensor, decay: float, dead_code_threshold: float):
    """Residual VQ with a straight-through gradient and EMA codebook updates (in place, when training).

    latent : torch.Tensor, shape = (batch, codebook_dim, frames)  encoder output
    returns : (quantized latent with straight-through gradient, shape = (batch, codebook_dim, frames),
               commitment loss (scalar), codes, shape = (num_quantizers, batch, frames))
    """
    frames = latent.detach().transpose(1, 2).reshape(-1, latent.shape[1])  # (batch * frames, dim)
    residual, quantized_sum, all_codes = frames, torch.zeros_like(frames), []
    for layer in codec.quantizer.layers:
        codebook = layer.codebook
        codes = codebook.quantize(residual)
        if codec.training:
            _ema_update(codebook, residual, codes, decay, dead_code_threshold)
        quantized = codebook.embed[codes]
        quantized_sum = quantized_sum + quantized
        residual = residual - quantized
        all_codes.append(codes.view(latent.shape[0], latent.shape[2]))
    quantized = quantized_sum.view(latent.shape[0], latent.shape[2], -1).transpose(1, 2)
    commitment = (latent - quantized).pow(2).mean()
    return latent + (quantized - latent).detach(), commitment, torch.stack(all_codes)


@torch.no_grad()
def _ema_update(
    codebook, residual: torch.Tensor, codes: torch.Tensor, decay: float, dead_code_threshold: float
) -> None:
    """One EMA step of a codebook toward the mean of the frames assigned to each codeword; re-seed unused ones."""
    one_hot = nn.functional.one_hot(codes, codebook.codebook_size).type(residual.dtype)  # (N, size)
    codebook.cluster_size.mul_(decay).add_(one_hot.sum(0), alpha=1 - decay)
    codebook.embed_avg.mul_(decay).add_(one_hot.t() @ residual, alpha=1 - decay)
    total = codebook.cluster_size.sum()
    smoothed = (codebook.cluster_size + 1e-5) / (total + codebook.codebook_size * 1e-5) * total
    codebook.embed.copy_(codebook.embed_avg / smoothed[:, None])
    dead = codebook.cluster_size < dead_code_threshold
    if dead.any():
        picks = torch.randint(0, residual.shape[0], (int(dead.sum()),), device=residual.device)
        codebook.embed[dead] = residual[picks]
        codebook.embed_avg[dead] = residual[picks]
        codebook.cluster_size[dead] = 1.0


def _random_segments(
    waveforms: list[torch.Tensor], batch_size: int, segment: int, generator: torch.Generator
) -> torch.Tensor:
    """(batch, segment) random crops (clips shorter than a segment are zero-padded)."""
    batch = torch.zeros(batch_size, segment)
    for row in range(batch_size):
        clip = waveforms[int(torch.randint(len(waveforms), (1,), generator=generator))]
        if clip.shape[0] > segment:
            start = int(torch.randint(clip.shape[0] - segment + 1, (1,), generator=generator))
            batch[row] = clip[start : start + segment]
        else:
            batch[row, : clip.shape[0]] = clip
    return batch


def train_codec(codec: EncodecModel, waveforms: Sequence, args: CodecTrainingArguments, log=print) -> list[dict]:
    """Train ``codec`` in place on 16 kHz mono clips (1-D float arrays/tensors). Returns the logged history.

    A fresh codec (all-zero codebooks, as ``EncodecModel(config)`` makes them) gets its codebooks seeded from
    encoder frames on the first step and its output level matched to the clips; a trained one is fine-tuned as is.
    The codebooks then follow the EMA updates.
    """
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    clips = [torch.as_tensor(w, dtype=torch.float32).flatten() for w in waveforms]
    if not clips:
        raise InvalidInputError("train_codec needs at least one clip of speech.")
    hop = codec.config.hop_length
    segment = max(hop, round(args.segment_seconds * codec.config.sampling_rate / hop) * hop)
    spectral_loss = MultiResolutionSpectralLoss(codec.config.sampling_rate)
    optimizer = torch.optim.AdamW(
        [p for n, p in codec.named_parameters() if not n.startswith("quantizer")],
        lr=args.learning_rate,
        betas=(0.8, 0.99),
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(step, args.max_steps) / args.max_steps))
        ),
    )
    fresh = bool((codec.quantizer.layers[0].codebook.embed == 0).all())  # an untrained EncodecModel's codebooks
    if fresh:
        _match_output_level(codec, clips)
    codec.train()
    history, started = [], time.time()
    for step in range(args.max_steps):
        audio = _random_segments(clips, args.batch_size, segment, generator)
        latent = codec.encoder(audio[:, None])
        if step == 0 and fresh:
            _seed_codebooks(codec, latent.detach(), generator)
        quantized, commitment, _ = quantize_for_training(codec, latent, args.ema_decay, args.dead_code_threshold)
        reconstruction = codec.decoder(quantized)[:, 0, : audio.shape[1]]
        losses = {
            "spectral": spectral_loss(reconstruction, audio),
            "waveform": (reconstruction - audio).abs().mean(),
            "commitment": commitment,
        }
        loss = (
            args.spectral_weight * losses["spectral"]
            + args.waveform_weight * losses["waveform"]
            + args.commitment_weight * commitment
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(codec.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % args.log_every_steps == 0 or step == args.max_steps - 1:
            entry = {
                "step": step,
                "loss": loss.item(),
                **{k: v.item() for k, v in losses.items()},
                "seconds": round(time.time() - started, 1),
            }
            history.append(entry)
            log(entry)
    codec.eval()
    return history


@torch.no_grad()
def _match_output_level(codec: EncodecModel, clips: list[torch.Tensor]) -> None:
    """Start the decoder's output at the speech's level.

    With ``norm_type="time_group_norm"`` every convolution, the last one included, ends in ``GroupNorm``: the
    decoder's waveform is normalised over the clip and scaled by that norm's affine weight, which starts at 1.
    Speech has an RMS near 0.05, so a fresh decoder is ~20x too loud and Adam needs thousands of steps to learn the
    scale. Setting the weight to the clips' RMS removes that detour.
    """
    last = codec.decoder.layers[-1]
    norm = getattr(last, "norm", None)
    if isinstance(norm, nn.GroupNorm) and norm.affine:
        rms = torch.sqrt(torch.mean(torch.cat(clips).pow(2)))
        norm.weight.fill_(float(rms))


@torch.no_grad()
def _seed_codebooks(codec: EncodecModel, latent: torch.Tensor, generator: torch.Generator) -> None:
    """Start every codebook from random encoder frames of the current residual (the k-means++-free start)."""
    residual = latent.transpose(1, 2).reshape(-1, latent.shape[1])
    for layer in codec.quantizer.layers:
        codebook = layer.codebook
        picks = torch.randint(0, residual.shape[0], (codebook.codebook_size,), generator=generator)
        noise = 0.01 * residual.std() * torch.randn(codebook.codebook_size, residual.shape[1], generator=generator)
        codebook.embed.copy_(residual[picks] + noise)
        codebook.embed_avg.copy_(codebook.embed)
        codebook.cluster_size.fill_(1.0)
        residual = residual - codebook.embed[codebook.quantize(residual)]


__all__ = ["CodecTrainingArguments", "MultiResolutionSpectralLoss", "quantize_for_training", "train_codec"]
