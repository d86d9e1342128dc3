"""The CPU codec: a frequency-domain codec that a 2-core CPU can train to intelligible speech.

It keeps the paper codec's contract (16 kHz audio, 25 Hz frames, an RVQ whose first group gives LauraGPT's audio
tokens, the sum of all codebook vectors as the one-step vocoder's target, ``decode(latent)`` -> waveform) but works
on spectra instead of samples, so every layer runs at the 25 Hz codec frame rate::

    waveform (batch, samples)
      -> |STFT| (n_fft 640, hop 160; 4 frames per codec frame), log        (batch, 4 * 321, frames)
      -> Linear + ConvNeXt blocks + Linear                                  (batch, codebook_dim, frames)  encoder
      -> residual VQ (num_quantizers groups of codebook_size codes)         codes (batch, groups, frames)
      -> sum of the chosen codebook vectors                                 latent (batch, codebook_dim, frames)
      -> Linear + ConvNeXt blocks + Linear                                  (batch, 4 * 321 [x 2], frames)  decoder
      -> log-magnitudes + Griffin-Lim, or magnitude and phase + inverse STFT   waveform (batch, frames * 640)

``frames = ceil(samples / 640)``; a clip is zero-padded to ``frames * 640`` samples. Every convolution pads with
zeros and the hidden states of padded frames are zeroed after each block, so a batch of clips of different lengths
(``lengths=``) gives the same codes and audio as one call per clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput

from .configuration_cpu_codec import LauraGPTCPUCodecConfig
from .errors import InvalidInputError

MAX_LOG_MAGNITUDE = math.log(1e3)  # decoded log-magnitudes are clamped here (speech peaks near 10): no overflow
WAVEFORM_LOSS_FFT_SIZES = (256, 512, 1024)  # samples; resolutions of the multi-resolution STFT loss ("istft" head)
SPECTRAL_EPS = 1e-7  # guards divisions by a norm or a magnitude


# ------------------------------------------------------------------------------------------------ STFT helpers
def stft(waveform: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """Complex STFT, periodic Hann window, ``(n_fft - hop) / 2`` zeros on both sides, one frame per ``hop`` samples.

    waveform : (batch, samples), samples a multiple of ``hop``
    returns : (batch, n_fft // 2 + 1, samples // hop)  frame i covers samples [i * hop - pad, i * hop - pad + n_fft)
    """
    pad = (n_fft - hop) // 2
    window = torch.hann_window(n_fft, device=waveform.device, dtype=waveform.dtype)
    return torch.stft(F.pad(waveform, (pad, pad)), n_fft, hop, window=window, center=False, return_complex=True)


def istft(spec: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """Inverse of ``stft``: windowed overlap-add divided by the summed squared window (positive on every sample,
    since every sample lies inside at least two frames). ``n_fft`` must be a multiple of ``hop``, so the overlap-add
    is ``n_fft / hop`` shifted block additions.

    spec : complex (batch, n_fft // 2 + 1, frames)
    returns : (batch, frames * hop)
    """
    batch, _, frames = spec.shape
    pad, overlap = (n_fft - hop) // 2, n_fft // hop
    window = torch.hann_window(n_fft, device=spec.device, dtype=spec.real.dtype)
    pieces = (torch.fft.irfft(spec.transpose(1, 2), n=n_fft, dim=-1) * window).view(batch, frames, overlap, hop)
    audio = pieces.new_zeros(batch, frames + overlap - 1, hop)
    envelope = pieces.new_zeros(frames + overlap - 1, hop)
    squared = window.pow(2).view(overlap, hop)
    for k in range(overlap):
        audio[:, k : k + frames] += pieces[:, :, k]
        envelope[k : k + frames] += squared[k]
    audio = audio.flatten(1) / envelope.flatten().clamp(min=SPECTRAL_EPS)
    return audio[:, pad : pad + frames * hop]


def griffin_lim(magnitude: torch.Tensor, n_fft: int, hop: int, iterations: int, momentum: float) -> torch.Tensor:
    """Fast Griffin-Lim (Perraudin et al. 2013) from zero phase, deterministic.

    magnitude : (batch, n_fft // 2 + 1, frames)
    returns : (batch, frames * hop)
    """
    angles = torch.ones_like(magnitude, dtype=torch.complex64 if magnitude.dtype != torch.float64 else torch.complex128)
    previous = torch.zeros_like(angles)
    for _ in range(iterations):
        rebuilt = stft(istft(magnitude * angles, n_fft, hop), n_fft, hop)
        angles = torch.sgn(rebuilt - previous * (momentum / (1 + momentum)))  # unit phasors (0 where the bin is 0)
        previous = rebuilt
    return istft(magnitude * angles, n_fft, hop)


def multi_resolution_stft_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over ``WAVEFORM_LOSS_FFT_SIZES`` of log-magnitude L1 + spectral convergence.

    predicted, target : (batch, samples)
    returns : scalar
    """
    losses = []
    for n_fft in WAVEFORM_LOSS_FFT_SIZES:
        window = torch.hann_window(n_fft, device=target.device)
        p = torch.stft(predicted, n_fft, n_fft // 4, window=window, return_complex=True).abs()
        t = torch.stft(target, n_fft, n_fft // 4, window=window, return_complex=True).abs()
        log_l1 = (torch.log(p + 1e-5) - torch.log(t + 1e-5)).abs().mean()
        convergence = torch.linalg.norm(p - t) / (torch.linalg.norm(t) + SPECTRAL_EPS)
        losses.append(log_l1 + convergence)
    return torch.stack(losses).mean()


# ------------------------------------------------------------------------------------------------ building blocks
class LauraGPTCPUCodecConvNeXtBlock(nn.Module):
    """ConvNeXt block over time: depthwise conv -> LayerNorm -> MLP -> layer scale -> residual."""

    def __init__(self, config: LauraGPTCPUCodecConfig):
        super().__init__()
        d = config.hidden_size
        self.dwconv = nn.Conv1d(d, d, config.kernel_size, padding=config.kernel_size // 2, groups=d)
        self.norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.fc1 = nn.Linear(d, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, d)
        self.gamma = nn.Parameter(torch.full((d,), config.layer_scale_init))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """
        x : (batch, hidden_size, frames), zero at padded frames
        mask : (batch, 1, frames) float, 1 at real frames
        returns : (batch, hidden_size, frames), zero at padded frames
        """
        h = self.dwconv(x).transpose(1, 2)
        h = self.fc2(F.gelu(self.fc1(self.norm(h))))
        return (x + (self.gamma * h).transpose(1, 2)) * mask


class LauraGPTCPUCodecStack(nn.Module):
    """Linear in -> ConvNeXt blocks -> LayerNorm -> Linear out, all at the codec frame rate (the encoder or decoder)."""

    def __init__(self, config: LauraGPTCPUCodecConfig, input_size: int, output_size: int, num_layers: int):
        super().__init__()
        self.in_proj = nn.Linear(input_size, config.hidden_size)
        self.layers = nn.ModuleList(LauraGPTCPUCodecConvNeXtBlock(config) for _ in range(num_layers))
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.out_proj = nn.Linear(config.hidden_size, output_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """
        x : (batch, input_size, frames)
        mask : (batch, 1, frames) float
        returns : (batch, output_size, frames), zero at padded frames
        """
        h = self.in_proj(x.transpose(1, 2)).transpose(1, 2) * mask
        for layer in self.layers:
            h = layer(h, mask)
        return self.out_proj(self.norm(h.transpose(1, 2))).transpose(1, 2) * mask


class LauraGPTCPUCodecQuantizer(nn.Module):
    """Residual VQ with EMA codebooks, k-means initialisation and dead-code restarts.

    Buffers (all persistent, so they travel in the checkpoint): ``embed`` (groups, size, dim) the codebooks,
    ``embed_sum`` (groups, size, dim) and ``cluster_size`` (groups, size) their EMA statistics.
    """

    def __init__(self, config: LauraGPTCPUCodecConfig):
        super().__init__()
        g, k, d = config.num_quantizers, config.codebook_size, config.codebook_dim
        self.decay, self.dead_threshold = config.ema_decay, config.dead_code_threshold
        self.register_buffer("embed", torch.randn(g, k, d))
        self.register_buffer("embed_sum", self.embed.clone())
        self.register_buffer("cluster_size", torch.ones(g, k))

    @staticmethod
    def nearest(x: torch.Tensor, codebook: torch.Tensor) -> torch.LongTensor:
        """(N, dim), (size, dim) -> (N,) index of the nearest codeword (squared Euclidean distance)."""
        distance = codebook.pow(2).sum(1)[None] - 2 * x @ codebook.t()
        return distance.argmin(dim=1)

    def encode(self, x: torch.Tensor, groups: int | None = None) -> torch.LongTensor:
        """(N, dim) -> (N, groups) codes, group by group on the residual."""
        codes, residual = [], x
        for g in range(groups or self.embed.shape[0]):
            index = self.nearest(residual, self.embed[g])
            residual = residual - self.embed[g][index]
            codes.append(index)
        return torch.stack(codes, dim=1)

    def decode(self, codes: torch.LongTensor) -> torch.Tensor:
        """(..., groups) codes -> (..., dim) sum of the codebook vectors of the groups given."""
        return sum(self.embed[g][codes[..., g]] for g in range(codes.shape[-1]))

    def forward(self, x: torch.Tensor, real: torch.Tensor, kept_groups: torch.LongTensor):
        """Quantize, update the codebooks in training, and pass gradients straight through.

        x : (N, dim) encoder frames
        real : (N,) bool, frames to learn from (not padding)
        kept_groups : (N,) groups each frame keeps (quantizer dropout; num_quantizers for all)
        returns : (quantized (N, dim) with straight-through gradient, codes (N, groups), commitment loss scalar)
        """
        residual, quantized, codes = x.detach(), torch.zeros_like(x), []
        for g in range(self.embed.shape[0]):
            index = self.nearest(residual, self.embed[g])
            used = real & (kept_groups > g)
            if self.training:
                self._ema_update(g, residual[used], index[used])
            vectors = self.embed[g][index] * (kept_groups > g)[:, None]
            quantized = quantized + vectors
            residual = residual - vectors
            codes.append(index)
        weight = real.float()[:, None]
        commitment = ((x - quantized).pow(2) * weight).sum() / (weight.sum() * x.shape[1]).clamp(min=1)
        return x + (quantized - x).detach(), torch.stack(codes, dim=1), commitment

    @torch.no_grad()
    def _ema_update(self, g: int, frames: torch.Tensor, index: torch.LongTensor) -> None:
        """EMA step of group ``g`` toward the mean of its assigned frames; restart codewords that went unused."""
        if frames.shape[0] == 0:
            return
        size = self.embed.shape[1]
        counts = torch.bincount(index, minlength=size).to(frames.dtype)
        sums = torch.zeros_like(self.embed_sum[g]).index_add_(0, index, frames)
        self.cluster_size[g].mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_sum[g].mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size[g].sum()
        smoothed = (self.cluster_size[g] + 1e-5) / (n + size * 1e-5) * n  # Laplace smoothing
        self.embed[g].copy_(self.embed_sum[g] / smoothed[:, None])
        dead = self.cluster_size[g] < self.dead_threshold
        if dead.any():
            picks = torch.randint(0, frames.shape[0], (int(dead.sum()),), device=frames.device)
            self.embed[g][dead] = frames[picks]
            self.embed_sum[g][dead] = frames[picks]
            self.cluster_size[g][dead] = 1.0

    @torch.no_grad()
    def kmeans_init(self, frames: torch.Tensor, iterations: int = 10, generator: torch.Generator | None = None) -> None:
        """Set every codebook by k-means on the residual the groups before it leave.

        frames : (N, dim) encoder frames of real speech, N >= codebook_size
        """
        size = self.embed.shape[1]
        if frames.shape[0] < size:
            raise InvalidInputError(f"k-means needs at least codebook_size={size} frames; got {frames.shape[0]}.")
        residual = frames.clone()
        for g in range(self.embed.shape[0]):
            picks = torch.randperm(residual.shape[0], generator=generator)[:size].to(residual.device)
            centroids = residual[picks].clone()
            for _ in range(iterations):
                index = self.nearest(residual, centroids)
                counts = torch.bincount(index, minlength=size).to(residual.dtype)
                sums = torch.zeros_like(centroids).index_add_(0, index, residual)
                filled = counts > 0
                centroids[filled] = sums[filled] / counts[filled, None]
                empty = int((~filled).sum())
                if empty:  # an empty cluster restarts on a random frame
                    centroids[~filled] = residual[torch.randint(0, residual.shape[0], (empty,), generator=generator)]
            index = self.nearest(residual, centroids)
            counts = torch.bincount(index, minlength=size).to(residual.dtype)
            expected = residual.shape[0] / size  # per-step EMA statistics start at a uniform share
            self.embed[g].copy_(centroids)
            self.cluster_size[g].fill_(expected)
            self.embed_sum[g].copy_(centroids * expected)
            residual = residual - centroids[index]


# ------------------------------------------------------------------------------------------------ the model
@dataclass
class LauraGPTCPUCodecOutput(ModelOutput):
    """
    loss : scalar, the weighted sum of the losses below
    audio_codes : (batch, num_quantizers, frames)
    latent : (batch, codebook_dim, frames), the quantized latent (straight-through)
    log_magnitude : (batch, frequency_bins, frames * stft_frames_per_code) decoded log-magnitudes
    audio_values : (batch, frames * hop_length) decoded waveform ("istft" head only; None for Griffin-Lim in training)
    """

    loss: torch.Tensor | None = None
    log_magnitude_loss: torch.Tensor | None = None
    spectral_convergence_loss: torch.Tensor | None = None
    waveform_stft_loss: torch.Tensor | None = None
    commitment_loss: torch.Tensor | None = None
    audio_codes: torch.LongTensor | None = None
    latent: torch.Tensor | None = None
    log_magnitude: torch.Tensor | None = None
    audio_values: torch.Tensor | None = None


class LauraGPTCPUCodec(PreTrainedModel):
    """Frequency-domain RVQ codec with the paper codec's contract (see the module docstring)."""

    config: LauraGPTCPUCodecConfig
    config_class = LauraGPTCPUCodecConfig
    base_model_prefix = "cpu_codec"
    main_input_name = "input_values"
    input_modalities = ("audio",)

    def __init__(self, config: LauraGPTCPUCodecConfig):
        super().__init__(config)
        spectrum = config.frequency_bins * config.stft_frames_per_code
        out = spectrum * (2 if config.decoder_head == "istft" else 1)
        self.encoder = LauraGPTCPUCodecStack(config, spectrum, config.codebook_dim, config.encoder_layers)
        self.quantizer = LauraGPTCPUCodecQuantizer(config)
        self.decoder = LauraGPTCPUCodecStack(config, config.codebook_dim, out, config.decoder_layers)
        self.post_init()

    def _init_weights(self, module):
        """transformers' defaults (normal Linear/Conv weights, zero biases, unit norms), plus ConvNeXt layer scale."""
        super()._init_weights(module)
        if isinstance(module, LauraGPTCPUCodecConvNeXtBlock):
            init.constant_(module.gamma, self.config.layer_scale_init)

    # ------------------------------------------------------------------ lengths and checks
    @property
    def sampling_rate(self) -> int:
        return self.config.sampling_rate

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    def num_frames(self, samples: int) -> int:
        """Codec frames of a clip of ``samples`` samples: ceil(samples / hop_length)."""
        return -(-int(samples) // self.config.hop_length)

    def _check_waveform(self, waveform, lengths, sampling_rate) -> tuple[torch.Tensor, torch.LongTensor]:
        """Validate ``(batch, samples)`` audio; returns it zero-padded to whole frames and zero after each length."""
        if sampling_rate is not None and int(sampling_rate) != self.config.sampling_rate:
            raise InvalidInputError(
                f"The CPU codec takes {self.config.sampling_rate} Hz audio; got {sampling_rate} Hz. Resample first: "
                f"torchaudio.functional.resample(waveform, {sampling_rate}, {self.config.sampling_rate})."
            )
        waveform = torch.as_tensor(waveform)
        if waveform.dim() == 1:
            waveform = waveform[None]
        if waveform.dim() != 2:
            raise InvalidInputError(
                f"waveform must have shape (batch, samples) or (samples,); got {tuple(waveform.shape)}. "
                "Downmix multi-channel audio to mono first."
            )
        if waveform.shape[0] == 0 or waveform.shape[1] == 0:
            raise InvalidInputError(
                f"waveform is empty (shape {tuple(waveform.shape)}); pass at least one sample per clip."
            )
        if not torch.isfinite(waveform).all():
            raise InvalidInputError(
                "waveform contains NaN or infinite samples; clean or drop the clip (torch.nan_to_num)."
            )
        samples = waveform.shape[1]
        if lengths is None:
            lengths = torch.full((waveform.shape[0],), samples, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long).to(waveform.device)
        if lengths.shape != (waveform.shape[0],) or (lengths < 1).any() or (lengths > samples).any():
            raise InvalidInputError(
                f"lengths must hold one length in 1..{samples} samples per clip; got {lengths.tolist()}. "
                "An empty clip has no frames: drop it."
            )
        frames = self.num_frames(samples)
        waveform = F.pad(waveform.to(self.dtype), (0, frames * self.config.hop_length - samples))
        keep = torch.arange(waveform.shape[1], device=waveform.device)[None] < lengths[:, None]
        return waveform * keep, lengths

    def _frame_mask(self, lengths: torch.LongTensor, frames: int) -> torch.Tensor:
        """(batch,) sample lengths -> (batch, 1, frames) float mask of real codec frames."""
        real = -(-lengths // self.config.hop_length)
        return (torch.arange(frames, device=lengths.device)[None] < real[:, None]).to(self.dtype)[:, None]

    # ------------------------------------------------------------------ analysis and synthesis
    def log_magnitude(self, waveform: torch.Tensor) -> torch.Tensor:
        """(batch, frames * hop_length) -> (batch, frequency_bins, frames * stft_frames_per_code) log |STFT|."""
        magnitude = stft(waveform, self.config.n_fft, self.config.stft_hop_length).abs()
        return torch.log(magnitude.clamp(min=self.config.magnitude_floor))

    def _stack(self, spectrum: torch.Tensor) -> torch.Tensor:
        """(batch, bins, frames * k) -> (batch, k * bins, frames): the STFT frames of each codec frame side by side."""
        b, bins, n = spectrum.shape
        k = self.config.stft_frames_per_code
        return spectrum.view(b, bins, n // k, k).permute(0, 3, 1, 2).reshape(b, k * bins, n // k)

    def _unstack(self, stacked: torch.Tensor) -> torch.Tensor:
        """Inverse of ``_stack``: (batch, k * bins, frames) -> (batch, bins, frames * k)."""
        b, _, n = stacked.shape
        k, bins = self.config.stft_frames_per_code, self.config.frequency_bins
        return stacked.view(b, k, bins, n).permute(0, 2, 3, 1).reshape(b, bins, n * k)

    def _decode_spectrum(self, latent: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(batch, codebook_dim, frames) -> (log-magnitude (batch, bins, frames * k), phase or None)."""
        c = self.config
        out = self.decoder(latent, mask)
        log_mag, phase = out.chunk(2, dim=1) if c.decoder_head == "istft" else (out, None)
        log_mag = (c.log_magnitude_mean + c.log_magnitude_std * self._unstack(log_mag)).clamp(max=MAX_LOG_MAGNITUDE)
        return log_mag, None if phase is None else self._unstack(phase)

    def _synthesize(self, log_mag: torch.Tensor, phase: torch.Tensor | None) -> torch.Tensor:
        """Waveform (batch, frames * hop_length) from decoded spectra."""
        c = self.config
        magnitude = torch.exp(log_mag)
        if phase is not None:
            return istft(torch.polar(magnitude, phase), c.n_fft, c.stft_hop_length)
        return griffin_lim(magnitude, c.n_fft, c.stft_hop_length, c.griffin_lim_iterations, c.griffin_lim_momentum)

    def _encode_latent(
        self, waveform: torch.Tensor, lengths: torch.LongTensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded waveform -> (target log-magnitude, encoder output (batch, codebook_dim, frames), mask)."""
        target = self.log_magnitude(waveform)
        stacked = self._stack((target - self.config.log_magnitude_mean) / self.config.log_magnitude_std)
        mask = self._frame_mask(lengths, stacked.shape[-1])
        return target, self.encoder(stacked, mask), mask

    # ------------------------------------------------------------------ public API
    @torch.no_grad()
    def encode(self, waveform, lengths=None, sampling_rate: int | None = None) -> torch.LongTensor:
        """All-group RVQ codes.

        waveform : (batch, samples) or (samples,) float in [-1, 1] at ``config.sampling_rate``
        lengths : (batch,) real samples per clip, optional (default: all ``samples``)
        sampling_rate : the audio's rate in Hz, optional; anything but ``config.sampling_rate`` is an error
        returns : (batch, num_quantizers, frames) int64, frames = ceil(samples / hop_length); codes of frames past a
            clip's own ``ceil(length / hop_length)`` are meaningless (decode with ``lengths``)
        """
        waveform, lengths = self._check_waveform(waveform, lengths, sampling_rate)
        _, latent, _ = self._encode_latent(waveform, lengths)
        b, d, n = latent.shape
        codes = self.quantizer.encode(latent.transpose(1, 2).reshape(b * n, d))
        return codes.view(b, n, -1).transpose(1, 2)

    def codes_to_latent(self, codes: torch.LongTensor) -> torch.Tensor:
        """The quantized latent: the sum of the codebook vectors of every group given (all of them for the one-step
        vocoder's target, the first ones for a partial sum).

        codes : (batch, groups, frames) int, 1 <= groups <= num_quantizers, values in [0, codebook_size)
        returns : (batch, codebook_dim, frames)
        """
        codes = torch.as_tensor(codes)
        if codes.dim() != 3:
            raise InvalidInputError(f"codes must have shape (batch, groups, frames); got {tuple(codes.shape)}.")
        if codes.dtype.is_floating_point:
            raise InvalidInputError(f"codes must be integers; got {codes.dtype}. Pass the output of encode().")
        if not 1 <= codes.shape[1] <= self.config.num_quantizers:
            raise InvalidInputError(
                f"codes have {codes.shape[1]} groups; the codec has 1..{self.config.num_quantizers}."
            )
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.config.codebook_size):
            raise InvalidInputError(
                f"codes must lie in [0, {self.config.codebook_size}); got values in [{int(codes.min())}, "
                f"{int(codes.max())}]. Remove LauraGPT's vocabulary offset (codec ids start after the text ids)."
            )
        return self.quantizer.decode(codes.long().to(self.embed_device).transpose(1, 2)).transpose(1, 2)

    @property
    def embed_device(self) -> torch.device:
        return self.quantizer.embed.device

    @torch.no_grad()
    def decode(self, latent: torch.Tensor, lengths=None) -> torch.Tensor:
        """Waveform from a quantized latent (``codes_to_latent``, or the one-step vocoder's prediction).

        latent : (batch, codebook_dim, frames)
        lengths : (batch,) real codec frames per row, optional; each row's audio is zero after its end and equals
            decoding that row alone
        returns : (batch, frames * hop_length) float waveform at ``config.sampling_rate``
        """
        latent = torch.as_tensor(latent)
        if latent.dim() != 3 or latent.shape[1] != self.config.codebook_dim:
            raise InvalidInputError(
                f"latent must have shape (batch, {self.config.codebook_dim}, frames); got {tuple(latent.shape)}."
            )
        if latent.shape[0] == 0 or latent.shape[2] == 0:
            raise InvalidInputError(f"latent is empty (shape {tuple(latent.shape)}); it needs at least one frame.")
        if not torch.isfinite(latent).all():
            raise InvalidInputError("latent contains NaN or infinite values.")
        b, _, n = latent.shape
        latent = latent.to(device=self.embed_device, dtype=self.dtype)
        frames = (
            torch.full((b,), n, dtype=torch.long) if lengths is None else torch.as_tensor(lengths, dtype=torch.long)
        )
        if frames.shape != (b,) or (frames < 1).any() or (frames > n).any():
            raise InvalidInputError(f"lengths must hold one frame count in 1..{n} per row; got {frames.tolist()}.")
        mask = self._frame_mask(frames.to(latent.device) * self.config.hop_length, n)
        log_mag, phase = self._decode_spectrum(latent * mask, mask)
        audio = latent.new_zeros(b, n * self.config.hop_length)
        k = self.config.stft_frames_per_code
        for count in frames.unique().tolist():  # rows of one length together: exactly what one call per row gives
            rows = (frames == count).nonzero().flatten().to(latent.device)
            cut = slice(0, count * k)
            audio[rows, : count * self.config.hop_length] = self._synthesize(
                log_mag[rows, :, cut], None if phase is None else phase[rows, :, cut]
            )
        return audio

    def forward(
        self, input_values: torch.Tensor, lengths=None, use_quantizer: bool = True, return_audio: bool = False
    ) -> LauraGPTCPUCodecOutput:
        """Training step: encode, quantize (with EMA codebook updates in training mode), decode, losses.

        input_values : (batch, samples) float waveform at ``config.sampling_rate``
        lengths : (batch,) real samples per clip, optional
        use_quantizer : False bypasses the RVQ (the continuous warm-up before k-means initialisation)
        return_audio : also synthesize the waveform (always done for the "istft" head, which needs it for its loss)
        returns : LauraGPTCPUCodecOutput with ``loss`` and each weighted term
        """
        c = self.config
        waveform, lengths = self._check_waveform(input_values, lengths, None)
        target, latent, mask = self._encode_latent(waveform, lengths)
        b, d, n = latent.shape
        flat = latent.transpose(1, 2).reshape(b * n, d)
        real = mask.flatten().bool()
        kept = torch.full((b,), c.num_quantizers, dtype=torch.long, device=latent.device)
        if self.training and c.quantizer_dropout > 0:
            drop = torch.rand(b, device=latent.device) < c.quantizer_dropout
            kept = torch.where(drop, torch.randint(1, c.num_quantizers + 1, (b,), device=latent.device), kept)
        if use_quantizer:
            quantized, codes, commitment = self.quantizer(flat, real, kept.repeat_interleave(n))
        else:
            quantized, codes, commitment = flat, self.quantizer.encode(flat.detach()), flat.new_zeros(())
        latent = quantized.view(b, n, d).transpose(1, 2)
        log_mag, phase = self._decode_spectrum(latent, mask)

        spectral_mask = mask.repeat_interleave(c.stft_frames_per_code, dim=2)  # (batch, 1, stft frames)
        count = (spectral_mask.sum() * target.shape[1]).clamp(min=1)
        log_l1 = ((log_mag - target).abs() * spectral_mask).sum() / count
        magnitude, target_magnitude = torch.exp(log_mag) * spectral_mask, torch.exp(target) * spectral_mask
        convergence = torch.linalg.norm(magnitude - target_magnitude) / (
            torch.linalg.norm(target_magnitude) + SPECTRAL_EPS
        )
        loss = (
            c.log_magnitude_weight * log_l1
            + c.spectral_convergence_weight * convergence
            + c.commitment_weight * commitment
        )
        audio, waveform_loss = None, None
        if phase is not None:
            audio = self._synthesize(log_mag, phase) * mask.repeat_interleave(c.hop_length, dim=2)[:, 0]
            waveform_loss = multi_resolution_stft_loss(audio, waveform)
            loss = loss + c.waveform_stft_weight * waveform_loss
        elif return_audio:
            with torch.no_grad():
                audio = self._synthesize(log_mag.detach(), None)
        return LauraGPTCPUCodecOutput(
            loss=loss,
            log_magnitude_loss=log_l1,
            spectral_convergence_loss=convergence,
            waveform_stft_loss=waveform_loss,
            commitment_loss=commitment,
            audio_codes=codes.view(b, n, -1).transpose(1, 2),
            latent=latent,
            log_magnitude=log_mag,
            audio_values=audio,
        )

    @torch.no_grad()
    def init_codebooks(self, waveform: torch.Tensor, lengths=None, iterations: int = 10, seed: int = 0) -> None:
        """k-means initialisation of every codebook from the encoder frames of real speech (call after a continuous
        warm-up, so that the encoder's frames already mean something).

        waveform : (batch, samples) speech; lengths : (batch,) optional
        """
        waveform, lengths = self._check_waveform(waveform, lengths, None)
        _, latent, mask = self._encode_latent(waveform, lengths)
        frames = latent.transpose(1, 2).reshape(-1, latent.shape[1])[mask.flatten().bool()]
        self.quantizer.kmeans_init(frames, iterations, torch.Generator().manual_seed(seed))


def register_cpu_codec() -> None:
    """Register ``lauragpt_cpu_codec`` with ``AutoConfig`` and ``AutoModel`` (idempotent)."""
    AutoConfig.register(LauraGPTCPUCodecConfig.model_type, LauraGPTCPUCodecConfig, exist_ok=True)
    AutoModel.register(LauraGPTCPUCodecConfig, LauraGPTCPUCodec, exist_ok=True)


__all__ = ["LauraGPTCPUCodec", "LauraGPTCPUCodecOutput", "griffin_lim", "istft", "register_cpu_codec", "stft"]
