"""The `facerec` command: serve the API, pre-fetch model packs, migrate a database."""

import argparse
import logging
import os
import sys
from pathlib import Path

from facerec.errors import FacerecError
from facerec.logs import configure_logging
from facerec.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(logging.INFO)
    for noisy in ("httpx", "facerec.api.requests"):  # a line per request drowns the bulk commands' output
        logging.getLogger(noisy).setLevel(logging.WARNING)
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

    imports = commands.add_parser(
        "import", help="import photos: a folder of folders PATH/<person name>/*.jpg, or a CSV"
    )
    imports.add_argument(
        "path",
        type=Path,
        nargs="?",
        help="folder of folders, or CSV path,displayName[,personId][,externalId]",
    )
    imports.add_argument(
        "--from-export",
        type=Path,
        metavar="OUT",
        help="restore a `facerec export` file (same ids and vectors)",
    )
    imports.add_argument("--batch-size", type=int, default=32, help="photos per request (default 32)")
    imports.add_argument("--quality-check", action="store_true", help="refuse faces below the quality bar")
    imports.add_argument(
        "--failures", type=Path, default=Path("import-failures.csv"), help="CSV of the refused photos"
    )
    _add_target(imports)
    imports.set_defaults(run=_import)

    export = commands.add_parser("export", help="write the gallery as JSON Lines (ids, metadata, embeddings)")
    export.add_argument("out", type=Path, help="the file to write")
    export.add_argument("--images", action="store_true", help="include the stored photos (base64)")
    export.set_defaults(run=_export)

    persons = commands.add_parser("persons", help="read persons")
    person_commands = persons.add_subparsers(required=True, metavar="ACTION")
    listing = person_commands.add_parser("list", help="persons of a collection with their face counts")
    _add_target(listing)
    listing.set_defaults(run=_list_persons)

    counts = commands.add_parser("counts", help="collections with their person and face counts")
    _add_target(counts)
    counts.set_defaults(run=_counts)
    return parser


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--collection", default="default", help="collection (default: default)")
    parser.add_argument("--url", help="a running server; default: the service in-process, with its settings")
    parser.add_argument("--api-key", default=os.environ.get("FACEREC_API_KEY"), help="X-API-Key for --url")


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from facerec.api.app import create_app

    # uvicorn's loggers go through ours (with request ids); the request line comes from RequestContext
    uvicorn.run(create_app(Settings()), host=args.host, port=args.port, log_config=None, access_log=False)


def _download(args: argparse.Namespace) -> None:
    from facerec.models.packs import PACKS
    from facerec.models.store import locate_pack

    settings = Settings(model_pack=args.name)
    files = locate_pack(
        PACKS[args.name], cache_dir=settings.model_cache_dir, base_url=settings.model_base_url
    )
    print(f"{args.name}: {files.detector.parent}")


def _import(args: argparse.Namespace) -> None:
    from facerec.bulk.archive import restore_file
    from facerec.bulk.commands import ImportOptions, Target, import_photos

    if args.from_export is not None:
        print(f"{restore_file(Settings(), args.from_export)} faces restored")
        return
    if args.path is None:
        raise SystemExit("facerec import: give PATH or --from-export OUT")
    import_photos(
        args.path,
        Target(url=args.url, api_key=args.api_key, collection=args.collection),
        ImportOptions(batch_size=args.batch_size, quality_check=args.quality_check, failures=args.failures),
    )


def _export(args: argparse.Namespace) -> None:
    from facerec.bulk.archive import export_file

    print(f"{export_file(Settings(), args.out, with_images=args.images)} faces exported to {args.out}")


def _list_persons(args: argparse.Namespace) -> None:
    from facerec.bulk.commands import Target, list_persons

    list_persons(Target(url=args.url, api_key=args.api_key, collection=args.collection))


def _counts(args: argparse.Namespace) -> None:
    from facerec.bulk.commands import Target, show_counts

    show_counts(Target(url=args.url, api_key=args.api_key, collection=args.collection))


def _migrate(_: argparse.Namespace) -> None:
    from facerec.db.migrate import upgrade_to_head

    settings = Settings()
    if settings.database_url is None:
        raise SystemExit("facerec migrate needs DATABASE_URL (the embedded database migrates itself)")
    upgrade_to_head(settings.database_url.get_secret_value())
