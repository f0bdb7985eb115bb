"""Which model made an embedding: embeddings compare only within one modality, model name
and version."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelIdentity:
    modality: str
    name: str
    version: str

    def made(self, name: str, version: str) -> bool:
        """Whether an embedding stored with this name and version is comparable with ours."""
        return (name, version) == (self.name, self.version)

    def __str__(self) -> str:
        return f"{self.name}:{self.version}"
