"""How embeddings are stored: raw float32 little-endian bytes, whatever the machine."""

import numpy as np


def encode_vector(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def decode_vector(data: bytes, dimension: int) -> np.ndarray:
    vector = np.frombuffer(data, dtype="<f4")
    if vector.shape[0] != dimension:
        raise ValueError(f"stored embedding has {vector.shape[0]} values, expected {dimension}")
    return vector.astype(np.float32, copy=False)
