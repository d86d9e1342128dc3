"""Converters of foreign checkpoints, on synthetic state dicts written here with the FunCodec / FunASR / LauraTTS key
names (built by following those projects' module trees, not from our models), checked against direct computations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import yaml
from transformers import EncodecModel

from modeling_lauragpt import (
    LauraGPTAudioEncoder,
    LauraGPTFeatureExtractor,
    LauraGPTVocoder,
)
from modeling_lauragpt.cli import convert as cli
from modeling_lauragpt.cli import main as lauragpt
from modeling_lauragpt.codec import codec_config, codes_to_latent
from modeling_lauragpt.conversion.checkpoint_io import load_state_dict
from modeling_lauragpt.conversion.codec_funcodec import (
    PAPER_CODEC_PARAMETERS,
    convert_funcodec_codec,
    match_funcodec_codec,
)
from modeling_lauragpt.conversion.encoder_funasr import convert_funasr_encoder
from modeling_lauragpt.conversion.key_report import CheckpointMismatchError
from modeling_lauragpt.conversion.vocoder_lauratts import (
    LauraTTSConversionError,
    convert_lauratts_vocoder,
)

# ---------------------------------------------------------------------------------------------- FunCodec codec


def funcodec_codec_layout(
    n_filters=32, dim=128, ratios=(8, 5, 4, 2, 2), lstm=2, nq=32, bins=1024, norm="time_group_norm"
):
    """FunCodec key -> shape, following SEANetEncoder / SEANetDecoder's nn.Sequential indices (reference_code.md §2.2)."""
    out = {}

    def conv(prefix, cin, cout, k, transposed=False):
        outer, inner = ("convtr", "convtr") if transposed else ("conv", "conv")
        weight = (cin, cout, k) if transposed else (cout, cin, k)
        if norm == "weight_norm":
            out[f"{prefix}.{outer}.{inner}.weight_g"] = (weight[0], 1, 1)
            out[f"{prefix}.{outer}.{inner}.weight_v"] = weight
        else:
            out[f"{prefix}.{outer}.{inner}.weight"] = weight
            out[f"{prefix}.{outer}.norm.weight"] = out[f"{prefix}.{outer}.norm.bias"] = (cout,)
        out[f"{prefix}.{outer}.{inner}.bias"] = (cout,)

    def resnet(prefix, ch):
        conv(f"{prefix}.block.1", ch, ch // 2, 3)
        conv(f"{prefix}.block.3", ch // 2, ch, 1)
        conv(f"{prefix}.shortcut", ch, ch, 1)

    def slstm(prefix, ch):
        for layer in range(lstm):
            for name, shape in (
                ("weight_ih", (4 * ch, ch)),
                ("weight_hh", (4 * ch, ch)),
                ("bias_ih", (4 * ch,)),
                ("bias_hh", (4 * ch,)),
            ):
                out[f"{prefix}.lstm.{name}_l{layer}"] = shape

    conv("encoder.model.0", 1, n_filters, 7)
    index, ch = 1, n_filters
    for ratio in reversed(ratios):  # resnet block, ELU, strided conv
        resnet(f"encoder.model.{index}", ch)
        conv(f"encoder.model.{index + 2}", ch, 2 * ch, 2 * ratio)
        index, ch = index + 3, 2 * ch
    slstm(f"encoder.model.{index}", ch)
    conv(f"encoder.model.{index + 2}", ch, dim, 7)
    conv("decoder.model.0", dim, ch, 7)
    slstm("decoder.model.1", ch)
    index = 2
    for ratio in ratios:  # ELU, transposed conv, resnet block
        conv(f"decoder.model.{index + 1}", ch, ch // 2, 2 * ratio, transposed=True)
        resnet(f"decoder.model.{index + 2}", ch // 2)
        index, ch = index + 3, ch // 2
    conv(f"decoder.model.{index + 1}", ch, 1, 7)
    out.update(
        {
            "quantizer.rq.model.inited": (nq, 1),
            "quantizer.rq.model.cluster_size": (nq, bins),
            "quantizer.rq.model.embed": (nq, bins, dim),
            "quantizer.rq.model.embed_avg": (nq, bins, dim),
        }
    )
    return out


def random_state(layout: dict, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {k: 0.1 * torch.randn(shape, generator=generator) for k, shape in layout.items()}


def tiny_funcodec(norm="time_group_norm"):
    state = random_state(funcodec_codec_layout(n_filters=4, dim=16, lstm=1, nq=8, bins=64, norm=norm))
    state["discriminator.discriminators.0.convs.0.weight"] = torch.zeros(2, 1, 3)  # training-only, set aside
    state["mel_spec_transforms.0.mel_basis"] = torch.zeros(4, 5)
    return state


def test_paper_layout_maps_onto_the_paper_codec_with_57_55M_parameters():
    state = {k: torch.empty(s, device="meta") for k, s in funcodec_codec_layout().items()}
    config, weights, report = match_funcodec_codec(
        state, {"encoder_conf": {"causal": False}, "model_conf": {"target_sample_hz": 16000}}
    )
    assert report.ok and len(weights) == len(state) - 4 + 4 * 32
    with torch.device("meta"):
        params = sum(p.numel() for p in EncodecModel(config).parameters())
    assert params == PAPER_CODEC_PARAMETERS == 57_549_987
    paper = codec_config("paper")
    for name in (
        "upsampling_ratios",
        "num_filters",
        "hidden_size",
        "num_lstm_layers",
        "norm_type",
        "codebook_size",
        "codebook_dim",
    ):
        assert getattr(config, name) == getattr(paper, name), name
    assert config.num_quantizers == 32 and config.frame_rate == 25


def test_codec_conversion_copies_each_funcodec_tensor_and_decodes_like_funcodec(tmp_path):
    state = tiny_funcodec()
    codec, report = convert_funcodec_codec(state)
    assert report.ok and len(report.ignored) == 2
    pairs = {  # FunCodec name -> our tensor, written out by hand
        "encoder.model.0.conv.conv.weight": codec.encoder.layers[0].conv.weight,
        "encoder.model.0.conv.norm.bias": codec.encoder.layers[0].norm.bias,
        "encoder.model.4.block.3.conv.conv.weight": codec.encoder.layers[4].block[3].conv.weight,
        "encoder.model.13.shortcut.conv.norm.weight": codec.encoder.layers[13].shortcut.norm.weight,
        "encoder.model.16.lstm.weight_hh_l0": codec.encoder.layers[16].lstm.weight_hh_l0,
        "decoder.model.3.convtr.convtr.weight": codec.decoder.layers[3].conv.weight,
        "decoder.model.3.convtr.norm.weight": codec.decoder.layers[3].norm.weight,
        "decoder.model.16.block.1.conv.conv.bias": codec.decoder.layers[16].block[1].conv.bias,
        "decoder.model.18.conv.conv.weight": codec.decoder.layers[18].conv.weight,
    }
    for name, ours in pairs.items():
        assert torch.equal(state[name], ours), name
    assert torch.equal(state["quantizer.rq.model.embed"][5], codec.quantizer.layers[5].codebook.embed)
    # FunCodec's decode: sum over groups of embed[k][code_k] (ddp_core_vq.decode), then the SEANet decoder
    codes = torch.randint(0, 64, (1, 8, 6))
    expected = sum(state["quantizer.rq.model.embed"][k][codes[0, k]] for k in range(8))
    assert torch.allclose(codes_to_latent(codec, codes)[0], expected, atol=1e-6)
    codec.save_pretrained(tmp_path)
    reloaded = EncodecModel.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        audio = codec.decode(codes[None], [None]).audio_values
        assert audio.shape == (1, 1, 6 * 640) and torch.equal(reloaded.decode(codes[None], [None]).audio_values, audio)


def test_weight_norm_checkpoints_keep_their_effective_weights():
    state = tiny_funcodec(norm="weight_norm")
    codec, _ = convert_funcodec_codec(state)
    assert codec.config.norm_type == "weight_norm"
    g, v = state["encoder.model.3.conv.conv.weight_g"], state["encoder.model.3.conv.conv.weight_v"]
    effective = g * v / v.norm(dim=(1, 2), keepdim=True)  # torch.nn.utils.weight_norm, dim=0
    assert torch.allclose(codec.encoder.layers[3].conv.weight, effective, atol=1e-6)


def test_mismatched_codec_is_refused_with_a_report_naming_every_key():
    state = tiny_funcodec()
    del state["decoder.model.18.conv.norm.bias"]
    state["encoder.model.0.conv.conv.bias"] = torch.zeros(5)
    state["encoder.model.99.extra.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError) as caught:
        convert_funcodec_codec(state)
    message = str(caught.value)
    assert "1 missing, 1 unexpected, 1 shape-mismatched" in message
    assert "decoder.layers.18.norm.bias" in message and "encoder.model.99.extra.weight" in message
    assert "encoder.model.0.conv.conv.bias -> encoder.layers.0.conv.bias: (5,) vs (4,)" in message
    assert "Fix:" in message


def test_codec_cli_writes_a_loadable_folder_and_refuses_bad_checkpoints(tmp_path, capsys):
    torch.save(tiny_funcodec(), tmp_path / "model.pth")
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump({"encoder_conf": {"causal": False}, "model_conf": {"audio_normalize": False}})
    )
    assert (
        cli.main(
            ["codec", str(tmp_path / "model.pth"), str(tmp_path / "out"), "--config", str(tmp_path / "config.yaml")]
        )
        == 0
    )
    codec = EncodecModel.from_pretrained(tmp_path / "out")
    assert codec.config.normalize is False and "parameters" in capsys.readouterr().out
    bad = tiny_funcodec()
    bad.pop("encoder.model.0.conv.conv.weight")
    torch.save(bad, tmp_path / "bad.pth")
    assert lauragpt(["convert", "codec", str(tmp_path / "bad.pth"), str(tmp_path / "out2")]) == 2
    assert "encoder.layers.0.conv.weight" in capsys.readouterr().err and not (tmp_path / "out2").exists()


def test_pickles_with_code_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(2), "config": {1, 2}, "f": math.floor}, tmp_path / "evil.pth")
    with pytest.raises(ValueError, match="weights_only=True"):
        load_state_dict(tmp_path / "evil.pth")


# ------------------------------------------------------------------------------------------ FunASR Conformer

D, HEADS, FFN, KERNEL, BLOCKS = 16, 4, 24, 5, 2


def funasr_conformer_state(input_layer="conv2d", relative=True, idim=80, seed=1) -> dict[str, torch.Tensor]:
    """A FunASR ASR checkpoint: encoder (macaron, conv module with BatchNorm) + decoder / CTC keys."""
    shapes = {}
    if input_layer == "conv2d":
        shapes.update(
            {
                "embed.conv.0.weight": (D, 1, 3, 3),
                "embed.conv.0.bias": (D,),
                "embed.conv.2.weight": (D, D, 3, 3),
                "embed.conv.2.bias": (D,),
                "embed.out.0.weight": (D, D * (((idim - 1) // 2 - 1) // 2)),
                "embed.out.0.bias": (D,),
            }
        )
    else:
        shapes.update({"embed.0.weight": (D, idim), "embed.0.bias": (D,), "embed.1.weight": (D,), "embed.1.bias": (D,)})
    for i in range(BLOCKS):
        b = f"encoders.{i}."
        for name in ("linear_q", "linear_k", "linear_v", "linear_out"):
            shapes[b + f"self_attn.{name}.weight"], shapes[b + f"self_attn.{name}.bias"] = (D, D), (D,)
        if relative:
            shapes[b + "self_attn.linear_pos.weight"] = (D, D)
            shapes[b + "self_attn.pos_bias_u"] = shapes[b + "self_attn.pos_bias_v"] = (HEADS, D // HEADS)
        for ff in ("feed_forward", "feed_forward_macaron"):
            shapes.update(
                {
                    b + f"{ff}.w_1.weight": (FFN, D),
                    b + f"{ff}.w_1.bias": (FFN,),
                    b + f"{ff}.w_2.weight": (D, FFN),
                    b + f"{ff}.w_2.bias": (D,),
                }
            )
        shapes.update(
            {
                b + "conv_module.pointwise_conv1.weight": (2 * D, D, 1),
                b + "conv_module.pointwise_conv1.bias": (2 * D,),
                b + "conv_module.depthwise_conv.weight": (D, 1, KERNEL),
                b + "conv_module.depthwise_conv.bias": (D,),
                b + "conv_module.pointwise_conv2.weight": (D, D, 1),
                b + "conv_module.pointwise_conv2.bias": (D,),
            }
        )
        for norm in ("norm_ff", "norm_mha", "norm_ff_macaron", "norm_conv", "norm_final"):
            shapes[b + f"{norm}.weight"] = shapes[b + f"{norm}.bias"] = (D,)
    shapes["after_norm.weight"] = shapes["after_norm.bias"] = (D,)
    generator = torch.Generator().manual_seed(seed)
    state = {f"encoder.{k}": 0.2 * torch.randn(s, generator=generator) for k, s in shapes.items()}
    for k in [k for k in state if k.endswith(("norm.weight", "norm_final.weight"))] + ["encoder.after_norm.weight"]:
        state[k] = 1 + state[k]
    for i in range(BLOCKS):
        b = f"encoder.encoders.{i}.conv_module.norm."
        state.update(
            {
                b + "weight": 1 + 0.1 * torch.randn(D, generator=generator),
                b + "bias": 0.1 * torch.randn(D, generator=generator),
                b + "running_mean": 0.1 * torch.randn(D, generator=generator),
                b + "running_var": 0.5 + torch.rand(D, generator=generator),
                b + "num_batches_tracked": torch.tensor(100),
            }
        )
    state["decoder.embed.0.weight"] = torch.zeros(10, D)  # the rest of the ASR model: set aside
    state["ctc.ctc_lo.weight"] = torch.zeros(10, D)
    return state


def _sinusoids(positions: torch.Tensor, d: int) -> torch.Tensor:
    angles = positions[:, None].float() * torch.exp(torch.arange(0, d, 2).float() * -(math.log(10000.0) / d))
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)  # interleaved sin / cos


def funasr_reference(state: dict, x: torch.Tensor, input_layer="conv2d", rel_pos_type="legacy") -> torch.Tensor:
    """FunASR's ConformerEncoder.forward for one unpadded utterance, written from its definition (eval mode)."""
    w = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    if input_layer == "conv2d":
        h = F.relu(
            F.conv2d(
                F.relu(F.conv2d(x[:, None], w["embed.conv.0.weight"], w["embed.conv.0.bias"], 2)),
                w["embed.conv.2.weight"],
                w["embed.conv.2.bias"],
                2,
            )
        )
        h = F.linear(h.permute(0, 2, 1, 3).flatten(2), w["embed.out.0.weight"], w["embed.out.0.bias"])
    else:
        h = F.layer_norm(
            F.linear(x, w["embed.0.weight"], w["embed.0.bias"]), (D,), w["embed.1.weight"], w["embed.1.bias"], 1e-5
        )
    T = h.shape[1]
    h = h * math.sqrt(D)
    if rel_pos_type == "legacy":  # reversed table of max_len 5000 positions, first T rows
        pe = _sinusoids(torch.arange(4999, 4999 - T, -1), D)
    else:  # offsets T-1 .. -(T-1)
        pe = _sinusoids(torch.arange(T - 1, -T, -1), D)
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]

    def ln(v, name):
        return F.layer_norm(v, (D,), w[name + ".weight"], w[name + ".bias"], 1e-12)

    def ffn(v, name):
        return F.linear(
            F.silu(F.linear(v, w[name + ".w_1.weight"], w[name + ".w_1.bias"])),
            w[name + ".w_2.weight"],
            w[name + ".w_2.bias"],
        )

    def heads(v):
        return v.view(v.shape[0], -1, HEADS, D // HEADS).transpose(1, 2)

    for n in range(BLOCKS):
        b = f"encoders.{n}."
        h = h + 0.5 * ffn(ln(h, b + "norm_ff_macaron"), b + "feed_forward_macaron")
        a = ln(h, b + "norm_mha")
        q, k, v = (
            heads(F.linear(a, w[b + f"self_attn.linear_{c}.weight"], w[b + f"self_attn.linear_{c}.bias"]))
            for c in "qkv"
        )
        p = heads(F.linear(pe[None], w[b + "self_attn.linear_pos.weight"]))
        ac = (q + w[b + "self_attn.pos_bias_u"][:, None]) @ k.transpose(-1, -2)
        bd_raw = (q + w[b + "self_attn.pos_bias_v"][:, None]) @ p.transpose(-1, -2)
        if rel_pos_type == "legacy":  # legacy rel_shift: row i reads itself below the diagonal, row i + 1 above it
            src_row = torch.where(j <= i, i, (i + 1).clamp(max=T - 1)).expand(T, T)
            src_col = torch.where(j <= i, T - 1 - i + j, (j - i - 2).clamp(min=0))
            bd = bd_raw[:, :, src_row, src_col].masked_fill(j == i + 1, 0.0)
        else:  # offset i - j sits at index T - 1 - (i - j)
            bd = bd_raw[:, :, i.expand(T, T), (T - 1 - i + j)]
        attn = torch.softmax((ac + bd) / math.sqrt(D // HEADS), dim=-1)
        ctx = (attn @ v).transpose(1, 2).reshape(1, T, D)
        h = h + F.linear(ctx, w[b + "self_attn.linear_out.weight"], w[b + "self_attn.linear_out.bias"])
        c = ln(h, b + "norm_conv").transpose(1, 2)
        c = F.glu(
            F.conv1d(c, w[b + "conv_module.pointwise_conv1.weight"], w[b + "conv_module.pointwise_conv1.bias"]), dim=1
        )
        c = F.conv1d(
            c,
            w[b + "conv_module.depthwise_conv.weight"],
            w[b + "conv_module.depthwise_conv.bias"],
            padding=KERNEL // 2,
            groups=D,
        )
        m = b + "conv_module.norm."
        c = F.silu(F.batch_norm(c, w[m + "running_mean"], w[m + "running_var"], w[m + "weight"], w[m + "bias"], False))
        h = h + F.conv1d(
            c, w[b + "conv_module.pointwise_conv2.weight"], w[b + "conv_module.pointwise_conv2.bias"]
        ).transpose(1, 2)
        h = h + 0.5 * ffn(ln(h, b + "norm_ff"), b + "feed_forward")
        h = ln(h, b + "norm_final")
    return ln(h, "after_norm")


def write_am_mvn(path, mean, istd):
    """A Kaldi-nnet text am.mvn as FunASR ships it: <AddShift> holds -mean, <Rescale> holds 1/std."""

    def row(values):
        return "<LearnRateCoef> 0 [ " + " ".join(f"{v:.6f}" for v in values) + " ]"

    path.write_text(
        "\n".join(
            [
                "<Nnet>",
                f"<Splice> {len(mean)} {len(mean)}",
                "[ 0 ]",
                f"<AddShift> {len(mean)} {len(mean)}",
                row(-mean),
                f"<Rescale> {len(mean)} {len(mean)}",
                row(istd),
                "</Nnet>",
                "",
            ]
        )
    )


@pytest.mark.parametrize(("input_layer", "rel_pos_type"), [("conv2d", "legacy"), ("linear", "latest")])
def test_encoder_conversion_matches_funasr_forward(input_layer, rel_pos_type, tmp_path):
    state = funasr_conformer_state(input_layer)
    conf = {
        "encoder_conf": {
            "attention_heads": HEADS,
            "input_layer": input_layer,
            "rel_pos_type": rel_pos_type,
            "macaron_style": True,
        },
        "frontend_conf": {"n_mels": 80, "lfr_m": 1, "lfr_n": 1},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(conf))
    encoder, _, report = convert_funasr_encoder(state, config_yaml=tmp_path / "config.yaml")
    expected_type = {"legacy": "relative_legacy", "latest": "relative"}[rel_pos_type]
    assert encoder.config.position_embedding_type == expected_type and encoder.config.conv_norm_type == "batch_norm"
    assert report.ok and set(report.ignored) == {"decoder.embed.0.weight", "ctc.ctc_lo.weight"}
    assert torch.equal(encoder.layers[1].self_attn.pos_bias_v, state["encoder.encoders.1.self_attn.pos_bias_v"])
    x = torch.randn(1, 47, 80, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ours = encoder(x).last_hidden_state
        reference = funasr_reference(state, x, input_layer, rel_pos_type)
    assert ours.shape == reference.shape
    assert torch.allclose(ours, reference, atol=3e-5), (
        (ours - reference).abs().max()
    )  # legacy vs latest differ by >1e-2


def test_encoder_cli_writes_encoder_and_cmvn_feature_extractor(tmp_path):
    torch.save(funasr_conformer_state(), tmp_path / "model.pb")
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "encoder": "ConformerEncoder",
                "encoder_conf": {"attention_heads": HEADS, "input_layer": "conv2d", "macaron_style": True},
                "frontend": "WavFrontend",
                "frontend_conf": {
                    "fs": 16000,
                    "n_mels": 80,
                    "frame_length": 25,
                    "frame_shift": 10,
                    "lfr_m": 1,
                    "lfr_n": 1,
                },
            }
        )
    )
    mean, istd = torch.linspace(-2, 2, 80), torch.linspace(0.5, 1.5, 80)
    write_am_mvn(tmp_path / "am.mvn", mean, istd)
    argv = [
        "encoder",
        str(tmp_path),
        str(tmp_path / "out"),
        "--config",
        str(tmp_path / "config.yaml"),
        "--cmvn",
        str(tmp_path / "am.mvn"),
    ]
    assert cli.main(argv) == 0
    encoder = LauraGPTAudioEncoder.from_pretrained(tmp_path / "out")
    assert encoder.config.position_embedding_type == "relative_legacy" and encoder.config.input_layer == "conv2d"
    assert torch.equal(
        encoder.layers[0].conv_module.norm.running_var,
        funasr_conformer_state()["encoder.encoders.0.conv_module.norm.running_var"],
    )
    x = torch.randn(1, 30, 80, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():  # the legacy position table is rebuilt after loading (non-persistent buffer)
        assert torch.allclose(
            encoder.eval()(x).last_hidden_state, funasr_reference(funasr_conformer_state(), x), atol=3e-5
        )
    extractor = LauraGPTFeatureExtractor.from_pretrained(tmp_path / "out")
    assert extractor.feature_size == 80 and (extractor.lfr_m, extractor.lfr_n) == (1, 1)
    assert torch.allclose(torch.tensor(extractor.cmvn_mean), mean, atol=1e-5)
    assert torch.allclose(torch.tensor(extractor.cmvn_istd), istd, atol=1e-5)


def test_global_mvn_in_the_checkpoint_is_folded_after_am_mvn(tmp_path):
    """FunASR: frontend CMVN from am.mvn, then the model's GlobalMVN ((x - mean) / std): one CMVN here."""
    state = funasr_conformer_state()
    generator = torch.Generator().manual_seed(7)
    state["normalize.mean"], state["normalize.std"] = (
        torch.randn(80, generator=generator),
        0.5 + torch.rand(80, generator=generator),
    )
    am_mean, am_istd = torch.randn(80, generator=generator), 0.5 + torch.rand(80, generator=generator)
    write_am_mvn(tmp_path / "am.mvn", am_mean, am_istd)
    _, extractor, report = convert_funasr_encoder(state, am_mvn=tmp_path / "am.mvn", input_size=80, num_heads=HEADS)
    assert report.ignored["normalize.std"].startswith("GlobalMVN")
    x = torch.randn(5, 80, generator=generator)
    funasr = ((x - am_mean) * am_istd - state["normalize.mean"]) / state["normalize.std"]
    ours = (x - torch.tensor(extractor.cmvn_mean)) * torch.tensor(extractor.cmvn_istd)
    assert torch.allclose(ours, funasr, atol=1e-4)


def test_mismatched_encoder_is_refused(tmp_path, capsys):
    state = funasr_conformer_state()
    del state["encoder.encoders.1.norm_final.bias"]
    state["encoder.encoders.0.self_attn.linear_q.weight"] = torch.zeros(D, D + 1)
    state["encoder.conditioning_layer.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "model.pb")
    assert (
        lauragpt(["convert", "encoder", str(tmp_path / "model.pb"), str(tmp_path / "out"), "--num-heads", str(HEADS)])
        == 2
    )
    err = capsys.readouterr().err
    for text in (
        "layers.1.norm_final.bias",
        "encoder.conditioning_layer.weight",
        f"({D}, {D + 1}) vs ({D}, {D})",
        "Fix:",
    ):
        assert text in err


# ------------------------------------------------------------------------------------------ LauraTTS vocoder

V_D, V_HEADS, V_FFN, V_BLOCKS, LATENT = 32, 4, 48, 2, 32  # LATENT = the tiny codec's codebook_dim


def lauratts_state(seed=5) -> dict[str, torch.Tensor]:
    """LauraGenModel's state dict (reference_code.md §1.3) at tiny widths: text encoder, codec LM, codec generator."""
    shapes = {
        "token_embedding.weight": (72, 24),
        "text_encoder.embed.0.weight": (V_D, 24),
        "text_encoder.after_norm.weight": (V_D,),
        "text_enc_out_layer.weight": (LATENT, V_D),
        "lm_embedding.weight": (2, LATENT),
        "codec_lm.encoder.embed.0.weight": (V_D, LATENT),
        "codec_lm.decoder.weight": (2 * 1025, V_D),
        "codec_encoder.embed.0.weight": (V_D, LATENT),
        "codec_encoder.embed.0.bias": (V_D,),
        "codec_encoder.embed.1.weight": (V_D,),
        "codec_encoder.embed.1.bias": (V_D,),
        "codec_encoder.after_norm.weight": (V_D,),
        "codec_encoder.after_norm.bias": (V_D,),
        "codec_encoder_out_layer.weight": (LATENT, V_D),
        "codec_encoder_out_layer.bias": (LATENT,),
        "quantizer_codebook.embed": (32, 1024, LATENT),
    }
    for i in range(V_BLOCKS):
        b = f"codec_encoder.encoders.{i}."
        for name in ("linear_q", "linear_k", "linear_v", "linear_out"):
            shapes[b + f"self_attn.{name}.weight"], shapes[b + f"self_attn.{name}.bias"] = (V_D, V_D), (V_D,)
        shapes[b + "self_attn.linear_pos.weight"] = (V_D, V_D)
        shapes[b + "self_attn.pos_bias_u"] = shapes[b + "self_attn.pos_bias_v"] = (V_HEADS, V_D // V_HEADS)
        shapes.update(
            {
                b + "feed_forward.w_1.weight": (V_FFN, V_D),
                b + "feed_forward.w_1.bias": (V_FFN,),
                b + "feed_forward.w_2.weight": (V_D, V_FFN),
                b + "feed_forward.w_2.bias": (V_D,),
            }
        )
        for norm in ("norm_mha", "norm_ff"):
            shapes[b + f"{norm}.weight"] = shapes[b + f"{norm}.bias"] = (V_D,)
    state = random_state(shapes, seed)
    state["quantizer_codebook.codec_index_shift"] = (1024 * torch.arange(32)).view(1, 1, 32)
    return state


def test_lauratts_generator_is_refused_with_the_reasons(tmp_path, capsys):
    with pytest.raises(LauraTTSConversionError) as caught:
        convert_lauratts_vocoder(lauratts_state())
    message = str(caught.value)
    for text in (
        "sum of the first 2 groups",
        f"Linear({LATENT} -> {V_D})",
        "text_encoder",
        "pos_bias_u",
        f"{V_BLOCKS} blocks",
        "Fix:",
    ):
        assert text in message, text
    torch.save(lauratts_state(), tmp_path / "model.pth")
    assert lauragpt(["convert", "lauratts-vocoder", str(tmp_path / "model.pth"), str(tmp_path / "out")]) == 2
    assert (
        "cannot be converted into LauraGPTVocoder exactly" in capsys.readouterr().err
        and not (tmp_path / "out").exists()
    )


def test_lauratts_warm_start_copies_what_keeps_its_meaning(tmp_path, codec):
    state = lauratts_state()
    torch.save(state, tmp_path / "model.pth")
    codec.save_pretrained(tmp_path / "codec")
    argv = [
        "lauratts-vocoder",
        str(tmp_path / "model.pth"),
        str(tmp_path / "out"),
        "--codec",
        str(tmp_path / "codec"),
        "--warm-start",
        "--text-vocab-size",
        "100",
    ]
    assert cli.main(argv) == 0
    vocoder = LauraGPTVocoder.from_pretrained(tmp_path / "out").eval()
    assert (vocoder.config.hidden_size, vocoder.config.num_attention_heads, vocoder.config.intermediate_size) == (
        V_D,
        V_HEADS,
        V_FFN,
    )
    assert torch.equal(
        vocoder.layers[1].self_attn.linear_k.weight, state["codec_encoder.encoders.1.self_attn.linear_k.weight"]
    )
    assert torch.equal(vocoder.layers[0].feed_forward.w_2.bias, state["codec_encoder.encoders.0.feed_forward.w_2.bias"])
    assert torch.equal(vocoder.final_norm.weight, state["codec_encoder.after_norm.weight"])
    assert torch.equal(vocoder.out_proj.weight, state["codec_encoder_out_layer.weight"])
    assert torch.equal(vocoder.prompt_proj.weight, state["codec_encoder.embed.0.weight"])
    codebook, code = (
        state["quantizer_codebook.embed"],
        17,
    )  # LauraTTS' frame input for code 17 in group 0, group 1 averaged
    expected = (
        state["codec_encoder.embed.0.weight"] @ (codebook[0, code] + codebook[1].mean(0))
        + state["codec_encoder.embed.0.bias"]
    )
    assert torch.allclose(vocoder.code_embed.weight[code], expected, atol=1e-5)
    assert torch.equal(vocoder.codec.quantizer.layers[3].codebook.embed, codec.quantizer.layers[3].codebook.embed)
    audio, lengths = vocoder.generate_waveform(torch.randint(0, 1024, (1, 5)))
    assert audio.shape == (1, 5 * 640) and lengths.tolist() == [3200]
