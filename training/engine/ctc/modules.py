"""Acoustic model definitions (torch + speechbrain; imported on demand only).

``ConformerCTCEncoder`` maps ``(wavs, wav_lens)`` to CTC log-probabilities, so a
model directory can declare it as the ``encoder`` module of
``speechbrain.inference.ASR.EncoderASR`` in its hyperparams.yaml.
"""

from __future__ import annotations

import torch
from speechbrain.lobes.features import Fbank
from speechbrain.lobes.models.convolution import ConvolutionFrontEnd
from speechbrain.lobes.models.transformer.Conformer import ConformerEncoder
from speechbrain.nnet.attention import RelPosEncXL
from speechbrain.nnet.linear import Linear

# Feature frames are 10 ms; the conv front-end downsamples time by 4.
FRAME_SHIFT_S = 0.01
TIME_REDUCTION = 4


class ConformerCTCEncoder(torch.nn.Module):
    """Fbank -> per-utterance mean/variance norm -> 2 strided conv blocks (4x)
    -> Linear(d_model) + relative positions -> Conformer -> Linear(n_tokens),
    log-softmax.  SpecAugment-style masking is applied only in training mode."""

    def __init__(
        self,
        n_tokens: int = 29,
        n_mels: int = 80,
        d_model: int = 144,
        num_layers: int = 6,
        nhead: int = 4,
        d_ffn: int = 576,
        kernel_size: int = 15,
        dropout: float = 0.1,
        conv_channels: int = 32,
        spec_augment: bool = True,
    ):
        super().__init__()
        self.n_tokens = n_tokens
        self.spec_augment = spec_augment
        self.fbank = Fbank(sample_rate=16000, n_mels=n_mels)
        self.frontend = ConvolutionFrontEnd(
            input_shape=(None, None, n_mels),
            num_blocks=2,
            num_layers_per_block=1,
            out_channels=[64, conv_channels],
            kernel_sizes=[3, 3],
            strides=[2, 2],
            residuals=[False, False],
            dropout=dropout,
        )
        self.proj = Linear(input_size=conv_channels * ((n_mels + 3) // 4), n_neurons=d_model)
        self.pos = RelPosEncXL(d_model)
        self.conformer = ConformerEncoder(
            num_layers=num_layers,
            d_model=d_model,
            d_ffn=d_ffn,
            nhead=nhead,
            kernel_size=kernel_size,
            dropout=dropout,
            attention_type="RelPosMHAXL",
        )
        self.out = Linear(input_size=d_model, n_neurons=n_tokens)

    @staticmethod
    def _lengths(rel_lens: torch.Tensor, T: int) -> torch.Tensor:
        return (rel_lens * T).round().clamp(min=1, max=T).long()

    def _normalise(self, feats, lens):
        T = feats.shape[1]
        mask = (torch.arange(T, device=feats.device)[None, :] < lens[:, None]).unsqueeze(-1)
        n = lens.clamp(min=1)[:, None].to(feats.dtype)
        mean = (feats * mask).sum(1) / n
        var = (((feats - mean[:, None]) ** 2) * mask).sum(1) / n
        return ((feats - mean[:, None]) / (var[:, None] + 1e-5).sqrt()) * mask

    def _augment(self, feats, lens):
        B, T, F = feats.shape
        feats = feats.clone()
        for b in range(B):
            for _ in range(2):
                w = int(torch.randint(0, 16, ()))
                f0 = int(torch.randint(0, max(1, F - w), ()))
                feats[b, :, f0 : f0 + w] = 0
            L = int(lens[b])
            for _ in range(2):
                w = int(torch.randint(0, max(1, min(40, L // 10)), ()))
                t0 = int(torch.randint(0, max(1, L - w), ()))
                feats[b, t0 : t0 + w, :] = 0
        return feats

    def forward(self, wavs: torch.Tensor, wav_lens: torch.Tensor) -> torch.Tensor:
        if wavs.dim() == 3:
            wavs = wavs.mean(-1)
        feats = self.fbank(wavs)
        lens = self._lengths(wav_lens, feats.shape[1])
        feats = self._normalise(feats, lens)
        if self.training and self.spec_augment:
            feats = self._augment(feats, lens)
        x = self.frontend(feats)
        x = self.proj(x.flatten(start_dim=2))
        T = x.shape[1]
        out_lens = self._lengths(wav_lens, T)
        pad_mask = torch.arange(T, device=x.device)[None, :] >= out_lens[:, None]
        x, _ = self.conformer(x, src_key_padding_mask=pad_mask, pos_embs=self.pos(x))
        return torch.log_softmax(self.out(x), dim=-1)
