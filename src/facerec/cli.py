"""The `facerec` command: serve the API, list and fetch model packs, migrate a database, check a setup.

A mistake in the configuration is one line on stderr that names the setting and the fix, with exit status
2; a failure at run time is one line with status 1. `--debug` adds the traceback and DEBUG logs.
"""

import argparse
import logging
import sys
import traceback

from facerec import __version__
from facerec.errors import ConfigurationError, FacerecError
from facerec.logs import configure_logging, escape
from facerec.settings import Settings, load_settings

CONFIGURATION_ERROR = 2
RUNTIME_ERROR = 1


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
    return parser


def _settings(args: argparse.Namespace, **values: object) -> Settings:
    settings = load_settings(**values)
    level = logging.DEBUG if args.debug else logging.getLevelNamesMapping()[settings.log_level]
    configure_logging(level, settings.log_format)
    return settings


def _serve(args: argparse.Namespace) -> int:
    from facerec.serve import serve

    serve(_settings(args), host=args.host, port=args.port)
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
