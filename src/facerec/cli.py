"""The `facerec` command: serve the API, pre-fetch model packs, migrate a database."""

import argparse
import logging
import sys

from facerec.errors import FacerecError
from facerec.logs import configure_logging
from facerec.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(logging.INFO)
    try:
        args.run(args)
    except FacerecError as error:
        print(f"facerec: {error.message}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facerec", description="Self-hosted face recognition API.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.set_defaults(run=_serve)

    models = commands.add_parser("models", help="manage model packs")
    model_commands = models.add_subparsers(required=True, metavar="ACTION")
    download = model_commands.add_parser("download", help="fetch and verify a pack into MODEL_CACHE_DIR")
    download.add_argument("name", help="pack name, e.g. buffalo_l")
    download.set_defaults(run=_download)

    migrate = commands.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    migrate.set_defaults(run=_migrate)
    return parser


def _serve(args: argparse.Namespace) -> None:
    from facerec.serve import serve

    serve(Settings(), host=args.host, port=args.port)


def _download(args: argparse.Namespace) -> None:
    from facerec.models.packs import PACKS
    from facerec.models.store import locate_pack

    settings = Settings(model_pack=args.name)
    files = locate_pack(
        PACKS[args.name], cache_dir=settings.model_cache_dir, base_url=settings.model_base_url
    )
    print(f"{args.name}: {files.detector.parent}")


def _migrate(_: argparse.Namespace) -> None:
    from facerec.db.migrate import upgrade_to_head

    settings = Settings()
    if settings.database_url is None:
        raise SystemExit("facerec migrate needs DATABASE_URL (the embedded database migrates itself)")
    upgrade_to_head(settings.database_url.get_secret_value())
