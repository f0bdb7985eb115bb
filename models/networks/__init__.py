"""Encoders: image batch -> embedding batch, built by name from an :class:`EncoderSpec`."""

from models.networks.registry import EncoderSpec, build_encoder

__all__ = ["EncoderSpec", "build_encoder"]
