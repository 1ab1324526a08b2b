"""Service configuration: one `Settings` class, read from the environment and `.env`."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from facerec.models.packs import PACKS

DEFAULT_HOME = Path.home() / ".local" / "share" / "facerec"
DEFAULT_MODEL_BASE_URL = "https://github.com/deepinsight/insightface/releases/download/v0.7"


class Settings(BaseSettings):
    """Every knob of the service. Environment variables use the field name in upper case."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", protected_namespaces=())

    # Models
    model_pack: str = Field("buffalo_s", description="Model pack: buffalo_s (bundled) or buffalo_l.")
    model_cache_dir: Path = Field(Path.home() / ".cache" / "facerec" / "models")
    model_base_url: str = Field(DEFAULT_MODEL_BASE_URL, description="Where downloadable packs are fetched.")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    det_size: int = Field(640, ge=160, le=1920, description="Detector input side in pixels.")
    det_threshold: float = Field(0.5, gt=0, lt=1)
    min_face_size: int = Field(20, ge=1, description="Faces narrower than this (px) are refused.")
    inference_workers: int = Field(1, ge=1, le=64, description="Threads running inference.")
    max_waiting_jobs: int = Field(
        16, ge=0, le=10_000, description="Images that may wait for a worker; beyond, 503 overloaded."
    )
    intra_op_threads: int = Field(0, ge=0, le=64, description="ONNX Runtime threads per job; 0 = all cores.")

    # Uploads
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(40_000_000, ge=64 * 64)

    # Database
    database_url: SecretStr | None = Field(None, description="Postgres URL; unset = embedded Postgres.")
    data_dir: Path = Field(DEFAULT_HOME, description="Embedded Postgres data and service state.")
    auto_migrate: bool = Field(True, description="Apply Alembic migrations at startup.")
    db_pool_min_size: int = Field(1, ge=0)
    db_pool_max_size: int = Field(10, ge=1)
    db_statement_cache_size: int = Field(
        100, ge=0, description="Prepared-statement cache; 0 behind a transaction-mode pooler."
    )
    store_images: bool = Field(True, description="Keep the original image of registered faces.")

    # Security (used by access control)
    jwt_secret_key: SecretStr | None = None

    @field_validator("model_pack")
    @classmethod
    def _known_pack(cls, value: str) -> str:
        if value not in PACKS:
            raise ValueError(f"unknown model pack {value!r}; choose one of {sorted(PACKS)}")
        return value

    @field_validator("model_cache_dir", "data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("model_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")
