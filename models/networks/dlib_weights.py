"""Read dlib's ``dlib_face_recognition_resnet_model_v1.dat`` into :class:`DlibResNet` weights.

Written from dlib's serialisation code (``dlib/serialize.h``, ``dlib/dnn/core.h``,
``layers.h``, ``input.h``, ``loss.h``, ``cuda/tensor.h``). The file is dlib's network
object serialised recursively:

- the loss layer: a version, ``"loss_metric_2"`` and two floats, then its sub-network;
- the version integers of every nested layer, outermost first (2 for a computational
  layer, 1 for tag and skip layers, 3 for the innermost layer over the input);
- the input layer (``"input_rgb_image_sized"``, three pixel means, the size);
- each computational layer's parameters in forward order, each followed by its training
  state (three booleans, three tensors; the innermost also a grad tensor and an integer).

Integers are a control byte (0x80 = negative, low nibble = byte count) then little-endian
bytes; floats are an integer mantissa and exponent; booleans are ``'0'`` / ``'1'``;
strings are a length and bytes; tensors are a version, four dimensions and raw
little-endian float32 values. Nothing is executed or unpickled.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.errors import CheckpointError
from models.networks.dlib_resnet import BLOCKS, INPUT_SIZE, PIXEL_MEANS
from models.packaged_files import package_folder

FILE_NAME = "dlib_face_recognition_resnet_model_v1.dat"


def installed_dlib_models() -> Path | None:
    """The model folder of the ``face_recognition_models`` package (dlib's public-domain
    weights), or ``None`` when it is not installed. Located without importing it."""
    folder = package_folder("face_recognition_models")
    return None if folder is None else folder / "models"


class _Stream:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise CheckpointError("dlib model file ends early")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def integer(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if not 1 <= size <= 8:
            raise CheckpointError(f"dlib model file: bad integer at byte {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def string(self) -> str:
        return self._take(self.integer()).decode("latin-1")

    def boolean(self) -> bool:
        value = self._take(1)
        if value not in (b"0", b"1"):
            raise CheckpointError(f"dlib model file: bad boolean at byte {self.pos - 1}")
        return value == b"1"

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        return float(mantissa * 2.0**exponent)

    def tensor(self) -> np.ndarray:
        if self.integer() != 2:
            raise CheckpointError("dlib model file: unknown tensor version")
        shape = [self.integer() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self._take(4 * count), dtype="<f4")
        return values.reshape(shape).astype(np.float32)

    def alias_shape(self) -> list[int]:
        if self.integer() != 1:
            raise CheckpointError("dlib model file: unknown alias tensor version")
        return [self.integer() for _ in range(4)]


@dataclass
class _Layer:
    kind: str
    params: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    shapes: list[list[int]] = field(default_factory=list)


def _read_layer(stream: _Stream) -> _Layer:
    kind = stream.string()
    if kind in ("con_4", "con_5"):
        params = stream.tensor()
        for _ in range(7):  # filters, rows, columns, strides, paddings: fixed by the design
            stream.integer()
        shapes = [stream.alias_shape(), stream.alias_shape()]
        for _ in range(4):
            stream.real()  # learning-rate and weight-decay multipliers
        if kind == "con_5":
            stream.boolean()
        return _Layer("con", params, shapes)
    if kind in ("affine_", "affine_2"):
        params = stream.tensor()
        shapes = [stream.alias_shape(), stream.alias_shape()]
        stream.integer()  # mode: per channel
        if kind == "affine_2":
            stream.boolean()
        return _Layer("affine", params, shapes)
    if kind in ("max_pool_2", "avg_pool_2"):
        for _ in range(6):
            stream.integer()
        return _Layer(kind[:8])
    if kind in ("relu_", "add_prev_"):
        return _Layer(kind.rstrip("_"))
    if kind in ("fc_2", "fc_3"):
        outputs, inputs = stream.integer(), stream.integer()
        params = stream.tensor()
        stream.alias_shape()
        stream.alias_shape()
        stream.integer()  # bias mode
        for _ in range(4):
            stream.real()
        if kind == "fc_3":
            stream.boolean()
        return _Layer("fc", params, [[inputs, outputs]])
    raise CheckpointError(f"dlib model file: unexpected layer {kind!r}")


def _skip_training_state(stream: _Stream, innermost: bool) -> None:
    for _ in range(3):
        stream.boolean()
    for _ in range(3):
        stream.tensor()
    if innermost:
        stream.integer()  # sample expansion factor


def read_layers(data: bytes) -> list[_Layer]:
    """Every computational layer of the file, in forward order."""
    stream = _Stream(data)
    stream.integer()
    if stream.string() != "loss_metric_2":
        raise CheckpointError("not dlib's face-recognition network: expected loss_metric_2")
    stream.real(), stream.real()
    while stream.integer() != 3:  # nesting versions, down to the layer over the input
        pass
    if stream.string() != "input_rgb_image_sized":
        raise CheckpointError("not dlib's face-recognition network: unexpected input layer")
    means = (stream.real(), stream.real(), stream.real())
    if not np.allclose(means, PIXEL_MEANS, atol=1e-3) or stream.integer() != INPUT_SIZE:
        raise CheckpointError("dlib model file: unexpected input normalisation or size")
    stream.integer()
    layers = [_read_layer(stream)]
    _skip_training_state(stream, innermost=True)
    while stream.pos < len(stream.data):
        layers.append(_read_layer(stream))
        _skip_training_state(stream, innermost=False)
    return layers


def _conv(layer: _Layer) -> tuple[torch.Tensor, torch.Tensor]:
    filters = layer.shapes[0]
    count = int(np.prod(filters))
    flat = torch.from_numpy(layer.params.ravel())
    return flat[:count].view(*filters), flat[count : count + filters[0]]


def _affine(layer: _Layer) -> tuple[torch.Tensor, torch.Tensor]:
    channels = layer.shapes[0][1]
    flat = torch.from_numpy(layer.params.ravel())
    return flat[:channels], flat[channels : 2 * channels]


def read_dlib_file(path: Path) -> bytes:
    """The bytes of dlib's model file; an unreadable file is a ``CheckpointError``."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from exc


def dlib_state_dict(path: Path, data: bytes | None = None) -> dict[str, torch.Tensor]:
    """:class:`DlibResNet` weights from dlib's file (``data``: its bytes, when already
    read); the layer sequence is checked against the architecture, so any other file is
    refused with a clear error."""
    layers = iter(read_layers(read_dlib_file(path) if data is None else data))

    def expect(kind: str) -> _Layer:
        layer = next(layers, None)
        if layer is None or layer.kind != kind:
            found = "the end" if layer is None else repr(layer.kind)
            raise CheckpointError(f"{path}: expected a {kind} layer, found {found}")
        return layer

    state: dict[str, torch.Tensor] = {}
    state["stem.weight"], state["stem.bias"] = _conv(expect("con"))
    state["stem_affine.scale"], state["stem_affine.shift"] = _affine(expect("affine"))
    expect("relu"), expect("max_pool")
    for index, (_, downsample) in enumerate(BLOCKS):
        prefix = f"blocks.{index}"
        state[f"{prefix}.conv1.weight"], state[f"{prefix}.conv1.bias"] = _conv(expect("con"))
        state[f"{prefix}.affine1.scale"], state[f"{prefix}.affine1.shift"] = _affine(
            expect("affine")
        )
        expect("relu")
        state[f"{prefix}.conv2.weight"], state[f"{prefix}.conv2.bias"] = _conv(expect("con"))
        state[f"{prefix}.affine2.scale"], state[f"{prefix}.affine2.shift"] = _affine(
            expect("affine")
        )
        if downsample:
            expect("avg_pool")
        expect("add_prev"), expect("relu")
    expect("avg_pool")
    fc = expect("fc")
    inputs, outputs = fc.shapes[0]
    state["fc.weight"] = torch.from_numpy(fc.params.reshape(inputs, outputs).T.copy())
    if next(layers, None) is not None:
        raise CheckpointError(f"{path}: more layers than dlib's face-recognition network has")
    return state
