"""The ``twinverify`` command: one entry point, subcommands per area."""

import argparse
import sys

from models.cli import add_training_commands, run_handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twinverify", description="Face and signature verification with twin networks."
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    add_training_commands(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_handler(args)


if __name__ == "__main__":
    sys.exit(main())
