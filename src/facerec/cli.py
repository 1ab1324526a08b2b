"""The `facerec` command: serve the API, list and fetch model packs, migrate a database, check a setup.

A mistake in the configuration is one line on stderr that names the setting and the fix, with exit status
2; a failure at run time is one line with status 1. `--debug` adds the traceback and DEBUG logs.
"""

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from facerec import __version__
from facerec.errors import ConfigurationError, FacerecError
from facerec.logs import configure_logging, escape
from facerec.settings import Settings, load_settings

if TYPE_CHECKING:
    from facerec.bulk.commands import Target

CONFIGURATION_ERROR = 2
RUNTIME_ERROR = 1
MAX_PROCESSES = 64


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except FacerecError as error:
        _report(error.message, debug=args.debug)
        return CONFIGURATION_ERROR if isinstance(error, ConfigurationError) else RUNTIME_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # not foreseen: still one line, unless asked for the traceback
        _report(f"unexpected error: {type(error).__name__}: {error}", debug=args.debug, unforeseen=True)
        return RUNTIME_ERROR
    return status


def _report(message: str, *, debug: bool, unforeseen: bool = False) -> None:
    if debug:
        traceback.print_exc()
    hint = " (run with --debug for the traceback)" if unforeseen and not debug else ""
    print(f"facerec: {escape(message)}{hint}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facerec", description="Self-hosted face recognition API.")
    parser.add_argument("--version", action="version", version=f"facerec {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and DEBUG logs")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument(
        "--workers",
        type=_process_count,
        default=1,
        help="serving processes on the port, each with its own models (default 1; docs/SCALING.md)",
    )
    serve.set_defaults(run=_serve)

    models = commands.add_parser("models", help="list and fetch model packs")
    model_commands = models.add_subparsers(required=True, metavar="ACTION")
    listing = model_commands.add_parser("list", help="packs, where their files are, checksums, licence")
    listing.set_defaults(run=_list_models)
    download = model_commands.add_parser("download", help="fetch and verify a pack into MODEL_CACHE_DIR")
    download.add_argument("name", help="pack name, e.g. buffalo_l")
    download.set_defaults(run=_download)

    migrate = commands.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    migrate.set_defaults(run=_migrate)

    doctor = commands.add_parser("doctor", help="check settings, models and the database")
    doctor.set_defaults(run=_doctor)
    _add_bulk_commands(commands)
    return parser


def _add_bulk_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
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

    reembed = commands.add_parser(
        "reembed", help="re-embed every stored face from its photo with another model pack (resumable)"
    )
    reembed.add_argument("--model", required=True, help="the pack to re-embed with, e.g. buffalo_l")
    reembed.add_argument(
        "--drop-old",
        action="store_true",
        help="then make it every face's pack and delete the other packs' vectors (one transaction)",
    )
    reembed.add_argument(
        "--force", action="store_true", help="with --drop-old: even if some faces have no vector of it"
    )
    reembed.add_argument(
        "--failures", type=Path, default=Path("reembed-failures.csv"), help="CSV of the faces not re-embedded"
    )
    reembed.set_defaults(run=_reembed)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--collection", default="default", help="collection (default: default)")
    parser.add_argument("--url", help="a running server; default: the service in-process, with its settings")
    parser.add_argument("--api-key", default=os.environ.get("FACEREC_API_KEY"), help="X-API-Key for --url")


def _process_count(text: str) -> int:
    count = int(text) if text.isdigit() else 0
    if not 1 <= count <= MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_PROCESSES}, not {text!r}")
    return count


def _settings(args: argparse.Namespace, **values: object) -> Settings:
    settings = load_settings(**values)
    level = logging.DEBUG if args.debug else logging.getLevelNamesMapping()[settings.log_level]
    configure_logging(level, settings.log_format)
    return settings


def _bulk_settings(args: argparse.Namespace, **values: object) -> Settings:
    """As `_settings`, without a log line per request to drown the bulk commands' progress."""
    settings = _settings(args, **values)
    for noisy in ("httpx", "facerec.api.requests"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger(noisy).getEffectiveLevel()))
    return settings


def _import(args: argparse.Namespace) -> int:
    from facerec.bulk.archive import restore_file
    from facerec.bulk.commands import ImportOptions, import_photos

    settings = _bulk_settings(args)
    if args.from_export is not None:
        print(f"{restore_file(settings, args.from_export)} faces restored")
        return 0
    if args.path is None:
        raise ConfigurationError("facerec import: give PATH or --from-export OUT")
    import_photos(
        args.path,
        _target(args, settings),
        ImportOptions(batch_size=args.batch_size, quality_check=args.quality_check, failures=args.failures),
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from facerec.bulk.archive import export_file

    faces = export_file(_bulk_settings(args), args.out, with_images=args.images)
    print(f"{faces} faces exported to {args.out}")
    return 0


def _list_persons(args: argparse.Namespace) -> int:
    from facerec.bulk.commands import list_persons

    list_persons(_target(args, _bulk_settings(args)))
    return 0


def _counts(args: argparse.Namespace) -> int:
    from facerec.bulk.commands import show_counts

    show_counts(_target(args, _bulk_settings(args)))
    return 0


def _reembed(args: argparse.Namespace) -> int:
    from facerec.bulk.model_switch import ReembedOptions, reembed
    from facerec.errors import FacesNotReembedded

    settings = _bulk_settings(args, model_pack=args.model)
    try:
        reembed(settings, ReembedOptions(failures=args.failures, drop_old=args.drop_old, force=args.force))
    except FacesNotReembedded as error:
        _report(error.message, debug=args.debug)
        return CONFIGURATION_ERROR
    return 0


def _target(args: argparse.Namespace, settings: Settings) -> "Target":
    from facerec.bulk.commands import Target

    return Target(url=args.url, api_key=args.api_key, collection=args.collection, settings=settings)


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.workers == 1:
        from facerec.serve import serve

        serve(settings, host=args.host, port=args.port)
    else:
        from facerec.processes import serve_processes

        serve_processes(settings, host=args.host, port=args.port, processes=args.workers)
    return 0


def _list_models(args: argparse.Namespace) -> int:
    from facerec.models.inventory import describe_packs

    for line in describe_packs(_settings(args).model_cache_dir):
        print(line)
    return 0


def _download(args: argparse.Namespace) -> int:
    from facerec.models.packs import PACKS
    from facerec.models.store import locate_pack

    settings = _settings(args, model_pack=args.name)
    files = locate_pack(
        PACKS[args.name], cache_dir=settings.model_cache_dir, base_url=settings.model_base_url
    )
    print(f"{args.name}: {files.detector.parent}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from facerec.db.migrate import upgrade_database

    settings = _settings(args)
    if settings.database_url is None:
        raise ConfigurationError(
            "facerec migrate needs DATABASE_URL (the embedded database migrates itself at startup)"
        )
    upgrade_database(settings.database_url.get_secret_value())
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from facerec.doctor import examine

    findings = examine(_settings(args))
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.ok for finding in findings) else RUNTIME_ERROR
