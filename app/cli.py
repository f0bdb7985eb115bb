"""The ``twinverify`` command: one entry point, subcommands per area."""

import argparse
import sys

from app.core.config import get_settings
from app.db import migrate
from app.folder_cli import add_enroll_folder_command
from models.cli import add_training_commands, run_handler


def _database(args: argparse.Namespace) -> int:
    url = get_settings().resolved_database_url
    if args.action == "upgrade":
        migrate.upgrade(url, args.revision or "head")
    else:
        migrate.downgrade(url, args.revision or "-1")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port)
    return 0


def add_serve_command(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    serve = subcommands.add_parser(
        "serve", help="run the HTTP service (settings from TWINVERIFY_*)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=_serve)


def add_database_commands(
    subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    database = subcommands.add_parser("db", help="migrate the database schema (Alembic)")
    database.add_argument("action", choices=["upgrade", "downgrade"])
    database.add_argument("revision", nargs="?", help="default: head for upgrade, -1 for downgrade")
    database.set_defaults(handler=_database)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twinverify", description="Face and signature verification with twin networks."
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    add_training_commands(subcommands)
    add_database_commands(subcommands)
    add_serve_command(subcommands)
    add_enroll_folder_command(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_handler(args)


if __name__ == "__main__":
    sys.exit(main())
