"""Service configuration: one `Settings` class, read from the environment and `.env`."""

import os
import re
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from facerec.errors import ConfigurationError
from facerec.models.packs import PACKS
from facerec.models.quality import QualityBar

DEFAULT_HOME = Path.home() / ".local" / "share" / "facerec"
DEFAULT_MODEL_BASE_URL = "https://github.com/deepinsight/insightface/releases/download/v0.7"
MIN_API_KEY_LENGTH = 16
MIN_JWT_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key is at least as long as the hash
POSTGRES_URL = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")
COLLECTION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
KEY_ENTRY_SEPARATORS = re.compile(r"[;\s]+")


def split_key_entry(entry: str) -> tuple[str, list[str] | None]:
    """`KEY` -> (KEY, None: every collection); `KEY:name1,name2` -> (KEY, [name1, name2])."""
    key, scoped, names = entry.partition(":")
    if not scoped:
        return key, None
    return key, [name.strip() for name in names.split(",") if name.strip()]


def _key_entries(value: str) -> list[str]:
    """API_KEYS: entries separated by `;` or whitespace. An entry with `:` is one key and its collections
    (`KEY:name1,name2`); an entry without is a comma-separated list of keys that reach every collection."""
    entries = []
    for chunk in KEY_ENTRY_SEPARATORS.split(value):
        if ":" in chunk:
            entries.append(chunk)
        else:
            entries.extend(item.strip() for item in chunk.split(",") if item.strip())
    return entries


class Settings(BaseSettings):
    """Every knob of the service. Environment variables use the field name in upper case."""

    # hide_input_in_errors: a refused setting (a short API key, a database URL) is a secret, never echoed
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", protected_namespaces=(), hide_input_in_errors=True
    )

    # Models
    model_pack: str = Field("buffalo_s", description="Model pack: buffalo_s (bundled) or buffalo_l.")
    model_cache_dir: Path = Field(Path.home() / ".cache" / "facerec" / "models")
    model_base_url: str = Field(DEFAULT_MODEL_BASE_URL, description="Where downloadable packs are fetched.")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    det_size: int = Field(640, ge=160, le=1920, description="Detector input side in pixels.")
    det_threshold: float = Field(0.5, gt=0, lt=1)
    min_face_size: int = Field(20, ge=1, description="Faces narrower than this (px) are refused.")
    inference_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="Threads running inference; default one per core (docs/BENCHMARKS.md).",
    )
    max_waiting_jobs: int = Field(
        16, ge=0, le=10_000, description="Images that may wait for a worker; beyond, 503 overloaded."
    )
    intra_op_threads: int = Field(
        default_factory=lambda: min(2, os.cpu_count() or 1),
        ge=0,
        le=64,
        description="ONNX Runtime threads of a model run that starts alone (0 = all cores); runs that "
        "overlap another take one thread each (docs/BENCHMARKS.md).",
    )
    inference_niceness: int = Field(
        10,
        ge=0,
        le=19,
        description="Steps of CPU priority the inference threads run below the process's (Linux), so the "
        "event loop answers at once while every core runs inference; 0 = the same priority.",
    )

    # Face quality: faces below any of these get the named reason (`quality.reasons` on encode and search);
    # register refuses them with poor_quality unless QUALITY_CHECK_ON_REGISTER=false or qualityCheck=false.
    quality_min_det_score: float = Field(0.6, ge=0, le=1, description="Below: low_confidence.")
    quality_min_face_size: float = Field(40, ge=0, description="Px, shorter box side; below: face_too_small.")
    quality_min_sharpness: float = Field(0.02, ge=0, le=1, description="Below: blurry.")
    quality_max_yaw: float = Field(45, gt=0, le=180, description="Degrees; beyond: extreme_pose.")
    quality_max_pitch: float = Field(40, gt=0, le=180, description="Degrees; beyond: extreme_pose.")
    quality_max_roll: float = Field(60, gt=0, le=180, description="Degrees; beyond: extreme_pose.")
    quality_check_on_register: bool = Field(True, description="Refuse to register faces below the bar.")

    # Search without a threshold: `auto` follows the collection's size at this FPIR (docs/ACCURACY.md).
    search_auto_threshold: bool = Field(
        True, description="Searches default to threshold=auto; false = the pack's default point."
    )
    search_fpir: float = Field(
        0.01, ge=1e-6, lt=1, description="Share of strangers that threshold=auto lets match somebody."
    )

    # Uploads
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(40_000_000, ge=64 * 64)
    batch_max_items: int = Field(64, ge=1, le=1000, description="Photos per POST /api/faces/batch.")
    max_decode_bytes: int = Field(
        120_000_000,
        ge=64 * 64 * 3,
        description="Width x height x bytes per pixel as stored (3 for RGB, 8 for 16-bit RGBA); beyond, "
        "413 decode_budget_exceeded before decoding. The default fits an 8-bit RGB photo of the pixel limit.",
    )

    # Photos sent as a URL (`{"image": {"url": ...}}` in a JSON body): off unless ALLOW_IMAGE_URLS
    allow_image_urls: bool = Field(False, description="Fetch photos sent as URLs; off: image_urls_disabled.")
    image_url_allowed_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Non-public networks photos may be fetched from (e.g. 10.20.0.0/16), comma-separated.",
    )
    image_url_max_redirects: int = Field(3, ge=0, le=10, description="Redirects followed, each checked.")
    image_url_connect_timeout_s: float = Field(3, gt=0, le=60, description="To connect to the photo's host.")
    image_url_read_timeout_s: float = Field(10, gt=0, le=300, description="Longest silence of the host.")
    image_url_timeout_s: float = Field(20, gt=0, le=600, description="The whole fetch, redirects included.")

    # Live video (WS /api/stream)
    stream_max_concurrent: int = Field(
        4, ge=0, le=1000, description="Streams open at once; beyond, the handshake is refused with 503."
    )
    stream_max_frame_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest frame; a larger one is skipped with an error message."
    )
    stream_max_fps: float = Field(
        30, gt=0, le=1000, description="Frames per second a stream is answered at most; sooner ones wait."
    )
    stream_idle_timeout_s: float = Field(30, gt=0, description="A stream silent this long is closed.")
    stream_recognise_every: int = Field(
        5, ge=1, le=1000, description="Frames between two recognitions of one tracked face, at most."
    )

    # Webhooks (POST /api/webhooks): deliveries wait in the database until the receiver answers 2xx
    webhook_poll_s: float = Field(1.0, gt=0, le=60, description="How often due deliveries are looked for.")
    webhook_timeout_s: float = Field(10, gt=0, le=300, description="Per delivery request.")
    webhook_retry_base_s: float = Field(2, gt=0, le=3600, description="First retry delay; then doubling.")
    webhook_retry_max_s: float = Field(3600, gt=0, description="Longest delay between two attempts.")
    webhook_max_attempts: int = Field(
        15, ge=1, le=100, description="Attempts before a delivery is marked failed (about 9 hours)."
    )

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
    keep_photo_metadata: bool = Field(
        False, description="Store photos with their EXIF, XMP and IPTC (GPS position, camera serial)."
    )

    # Access control: off while neither API_KEYS nor JWT_SECRET_KEY is set
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Accepted X-API-Key values: `KEY` (every collection) or `KEY:name1,name2` (only those), "
        "separated by `;` or spaces; plain keys may also be comma-separated.",
    )
    jwt_secret_key: SecretStr | None = Field(None, description="HS256 secret of accepted bearer tokens.")
    jwt_audience: str = Field("authenticated", description="Required `aud` of bearer tokens.")
    jwt_issuer: str | None = Field(None, description="Required `iss` of bearer tokens; unset = any.")
    jwt_required_role: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["authenticated"],
        description="Accepted `role` claims of bearer tokens, comma-separated; empty = any role.",
    )
    jwt_max_lifetime_s: int = Field(
        24 * 3600, ge=0, description="Longest `exp - iat` of an accepted bearer token, seconds; 0 = any."
    )
    jwt_collections_claim: str = Field(
        "collections",
        min_length=1,
        description="Claim listing the collections a token reaches; absent = all.",
    )
    public_docs: bool = Field(True, description="Serve /docs, /redoc and /openapi.json; false = 404.")

    metrics_public: bool = Field(
        False, description="Serve /metrics without a credential even with access control on."
    )

    # Logs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Least severe level.")
    log_format: Literal["text", "json"] = Field(
        "text", description="text: one line per record; json: one JSON object per line."
    )

    # Browsers
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed cross-origin, comma-separated; empty = none."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host header values served, comma-separated; empty = local names when open, else any.",
    )
    allow_open_network: bool = Field(
        False, description="Let `facerec serve` bind a non-loopback address with access control off."
    )

    # Rate limits (a token bucket per credential, or per client address when access control is off)
    rate_limit_per_minute: int = Field(0, ge=0, description="Requests per minute; 0 = no rate limit.")
    rate_limit_burst: int = Field(20, ge=1, description="Requests allowed at once before the rate applies.")

    # The HTTP server (`facerec serve`)
    max_header_bytes: int = Field(16 * 1024, ge=1024, description="Request line + headers; over: 400.")
    max_headers: int = Field(100, ge=8, description="Header fields per request; over: 431.")
    header_timeout_s: float = Field(10, gt=0, description="Time to send a request's head; then closed.")
    body_timeout_s: float = Field(30, gt=0, description="Longest silence while a body is read; then 408.")
    keep_alive_timeout_s: int = Field(5, ge=1, description="Idle time before a kept-alive connection closes.")
    max_connections: int = Field(500, ge=1, description="Open connections; requests beyond get 503.")

    @property
    def quality_bar(self) -> QualityBar:
        return QualityBar(
            min_det_score=self.quality_min_det_score,
            min_face_size=self.quality_min_face_size,
            min_sharpness=self.quality_min_sharpness,
            max_yaw=self.quality_max_yaw,
            max_pitch=self.quality_max_pitch,
            max_roll=self.quality_max_roll,
        )

    @field_validator("model_pack")
    @classmethod
    def _known_pack(cls, value: str) -> str:
        if value not in PACKS:
            raise ValueError(f"unknown model pack {value!r}; choose one of {sorted(PACKS)}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not POSTGRES_URL.match(url.get_secret_value()):
            raise ValueError("must be a Postgres URL: postgresql://user:password@host:5432/dbname")
        return url

    @field_validator("model_cache_dir", "data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("model_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "cors_origins", "allowed_hosts", "jwt_required_role", "image_url_allowed_networks", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_key_entries(cls, value: object) -> object:
        return _key_entries(value) if isinstance(value, str) else value

    @field_validator("api_keys")
    @classmethod
    def _strong_keys(cls, entries: list[SecretStr]) -> list[SecretStr]:
        for entry in entries:
            key, collections = split_key_entry(entry.get_secret_value())
            if len(key) < MIN_API_KEY_LENGTH or not key.isascii() or not key.isprintable() or " " in key:
                raise ValueError(
                    f"every API key must be at least {MIN_API_KEY_LENGTH} printable ASCII characters, "
                    "without spaces, ':' or ';'"
                )
            if collections is not None and (
                not collections or not all(COLLECTION_NAME.fullmatch(name) for name in collections)
            ):
                raise ValueError(
                    "a scoped API key is KEY:name1,name2 with collection names of 1-64 characters "
                    "[A-Za-z0-9_.-]"
                )
        return entries

    @field_validator("jwt_secret_key")
    @classmethod
    def _strong_jwt_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value().encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET_KEY must be at least {MIN_JWT_SECRET_BYTES} bytes")
        return secret

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        origins = [origin.rstrip("/") for origin in origins]
        for origin in origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must be '*' or start with http:// or https://")
        return origins

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        return [host.lower() for host in hosts]

    @property
    def access_control(self) -> bool:
        """Whether /api requests need credentials."""
        return bool(self.api_keys) or self.jwt_secret_key is not None


def load_settings(**values: object) -> Settings:
    """The settings from the environment and `.env` (and `values`), or `ConfigurationError` naming each
    wrong setting by its environment variable, in one line."""
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in item['loc']).upper()}: "
            + item["msg"].removeprefix("Value error, ")
            for item in error.errors()
        ]
        noun = "setting" if len(problems) == 1 else "settings"
        raise ConfigurationError(
            f"invalid {noun} {'; '.join(problems)}. Fix it in the environment or .env"
        ) from error
    except SettingsError as error:
        raise ConfigurationError(f"{error}. Fix it in the environment or .env") from error
