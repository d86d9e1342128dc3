"""Configuration of the CPU codec: a frequency-domain codec with the paper codec's contract (16 kHz, 25 Hz frames,
an RVQ whose first group gives LauraGPT's audio tokens, the sum of all codebook vectors as the vocoder's target).

``LauraGPTCPUCodecConfig.from_preset("cpu")`` is the codec trained by ``training/cpu_codec_training.py``;
``"tiny"`` is a small one for tests. Every length is stated in its unit: samples (16 kHz), STFT frames (100 Hz) or
codec frames (25 Hz).
"""

from __future__ import annotations

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .audio import CODEC_HOP_LENGTH, SAMPLING_RATE
from .errors import InvalidInputError
from .presets import CPU_CODEC_PRESETS, cpu_codec_values

DECODER_HEADS = ("griffin_lim", "istft")


@strict
class LauraGPTCPUCodecConfig(PreTrainedConfig):
    r"""
    Frequency-domain codec: log-magnitude STFT frames -> ConvNeXt encoder at the codec frame rate -> residual VQ ->
    ConvNeXt decoder -> log-magnitudes (phase by Griffin-Lim) or complex STFT frames (inverse STFT, Vocos-style).

    sampling_rate (`int`, defaults to 16000): audio rate in Hz.
    hop_length (`int`, defaults to 640): samples per codec frame (640 at 16 kHz = 25 Hz, the paper codec's rate).
    n_fft (`int`, defaults to 640): STFT size in samples (40 ms; 321 frequency bins); a multiple of `stft_hop_length`.
    stft_hop_length (`int`, defaults to 160): samples between STFT frames (10 ms); must divide `hop_length`.
    magnitude_floor (`float`, defaults to 1e-4): magnitudes are clamped to at least this before the log (sets the
        quietest level the codec tries to reproduce; speech peaks near 10 in these units).
    log_magnitude_mean (`float`, defaults to -4.0): typical log-magnitude in nats (measured on the training speech:
        -4.1); the encoder reads `(log|X| - mean) / std` and the decoder writes `mean + std * output`.
    log_magnitude_std (`float`, defaults to 2.7): typical spread of log-magnitudes in nats (measured: 2.69).
    hidden_size (`int`, defaults to 256): channels of the encoder and decoder ConvNeXt blocks.
    intermediate_size (`int`, defaults to 768): units of each ConvNeXt block's pointwise MLP.
    encoder_layers (`int`, defaults to 3): ConvNeXt blocks of the encoder (at the codec frame rate).
    decoder_layers (`int`, defaults to 6): ConvNeXt blocks of the decoder (at the codec frame rate).
    kernel_size (`int`, defaults to 7): depthwise convolution kernel, in codec frames (odd; 7 = 280 ms).
    layer_scale_init (`float`, defaults to 0.1): initial ConvNeXt layer-scale of each residual branch.
    layer_norm_eps (`float`, defaults to 1e-6): LayerNorm epsilon.
    codebook_dim (`int`, defaults to 64): dimension of the quantized latent (what `codes_to_latent` returns).
    num_quantizers (`int`, defaults to 16): RVQ groups; group 0 gives LauraGPT's audio tokens.
    codebook_size (`int`, defaults to 1024): codes per group.
    ema_decay (`float`, defaults to 0.99): per-step decay of the codebooks' exponential moving averages.
    dead_code_threshold (`float`, defaults to 0.5): a codeword whose EMA count of assigned frames per step falls
        below this is restarted from a frame of the current batch.
    commitment_weight (`float`, defaults to 0.25): weight of the encoder's commitment loss.
    quantizer_dropout (`float`, defaults to 0.25): probability, per training clip, of keeping only the first k
        groups (k uniform in 1..num_quantizers), so that the first groups alone carry speech (SoundStream).
    decoder_head (`str`, defaults to `"griffin_lim"`): `"griffin_lim"` (decoder predicts log-magnitudes, phase by
        Griffin-Lim) or `"istft"` (decoder predicts log-magnitude and phase, waveform by inverse STFT).
    griffin_lim_iterations (`int`, defaults to 16): Griffin-Lim iterations at decode time (measured on held-out
        speech through the trained codec: PESQ 1.48 / 1.51 / 1.50 at 8 / 16 / 32).
    griffin_lim_momentum (`float`, defaults to 0.99): fast Griffin-Lim momentum (Perraudin et al. 2013).
    log_magnitude_weight (`float`, defaults to 1.0): weight of the L1 loss on log-magnitudes.
    spectral_convergence_weight (`float`, defaults to 1.0): weight of the spectral-convergence loss (relative
        Frobenius error of linear magnitudes; it weights loud bins, where speech is).
    waveform_stft_weight (`float`, defaults to 1.0): weight of the multi-resolution STFT loss on the decoded
        waveform (`"istft"` head only; it is what teaches the phase).
    initializer_range (`float`, defaults to 0.02): std of the normal init of linear weights.
    """

    model_type = "lauragpt_cpu_codec"

    sampling_rate: int = SAMPLING_RATE
    hop_length: int = CODEC_HOP_LENGTH
    n_fft: int = 640
    stft_hop_length: int = 160
    magnitude_floor: float = 1e-4
    log_magnitude_mean: float = -4.0
    log_magnitude_std: float = 2.7
    hidden_size: int = 256
    intermediate_size: int = 768
    encoder_layers: int = 3
    decoder_layers: int = 6
    kernel_size: int = 7
    layer_scale_init: float = 0.1
    layer_norm_eps: float = 1e-6
    codebook_dim: int = 64
    num_quantizers: int = 16
    codebook_size: int = 1024
    ema_decay: float = 0.99
    dead_code_threshold: float = 0.5
    commitment_weight: float = 0.25
    quantizer_dropout: float = 0.25
    decoder_head: str = "griffin_lim"
    griffin_lim_iterations: int = 16
    griffin_lim_momentum: float = 0.99
    log_magnitude_weight: float = 1.0
    spectral_convergence_weight: float = 1.0
    waveform_stft_weight: float = 1.0
    initializer_range: float = 0.02

    def validate_architecture(self):
        """Raise on settings the codec cannot build (called by ``@strict``)."""
        if self.hop_length % self.stft_hop_length:
            raise InvalidInputError(
                f"stft_hop_length ({self.stft_hop_length}) must divide hop_length ({self.hop_length}): each codec frame "
                "holds a whole number of STFT frames."
            )
        if (
            self.n_fft % self.stft_hop_length
            or self.n_fft < 2 * self.stft_hop_length
            or (self.n_fft - self.stft_hop_length) % 2
        ):
            raise InvalidInputError(
                f"n_fft ({self.n_fft}) must be a multiple of stft_hop_length ({self.stft_hop_length}), at least twice it, "
                "with n_fft - stft_hop_length even (frames overlap by whole hops and pad evenly)."
            )
        if self.kernel_size % 2 == 0:
            raise InvalidInputError(f"kernel_size must be odd (centred convolutions); got {self.kernel_size}.")
        if self.decoder_head not in DECODER_HEADS:
            raise InvalidInputError(f"decoder_head must be one of {DECODER_HEADS}; got {self.decoder_head!r}.")
        if not 0.0 <= self.quantizer_dropout <= 1.0:
            raise InvalidInputError(f"quantizer_dropout is a probability in [0, 1]; got {self.quantizer_dropout}.")
        if self.num_quantizers < 1 or self.codebook_size < 2:
            raise InvalidInputError("num_quantizers must be >= 1 and codebook_size >= 2.")

    @property
    def stft_frames_per_code(self) -> int:
        """STFT frames per codec frame (4 = 40 ms / 10 ms)."""
        return self.hop_length // self.stft_hop_length

    @property
    def frequency_bins(self) -> int:
        """Bins of one STFT frame (n_fft / 2 + 1 = 321)."""
        return self.n_fft // 2 + 1

    @property
    def frame_rate(self) -> float:
        """Codec frames per second (25.0)."""
        return self.sampling_rate / self.hop_length

    @classmethod
    def from_preset(cls, name: str, **overrides) -> LauraGPTCPUCodecConfig:
        """A config from a named preset (``"cpu"`` or ``"tiny"``, ``presets.CPU_CODEC_PRESETS``) with keyword overrides."""
        return cls(**{**cpu_codec_values(name), **overrides})


__all__ = ["CPU_CODEC_PRESETS", "DECODER_HEADS", "LauraGPTCPUCodecConfig"]
