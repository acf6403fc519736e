"""The `cloudlet` command."""

from __future__ import annotations

import argparse
import logging
import sys

from cloudlet import __version__
from cloudlet.config import Config


def _up_parser(sub) -> None:
    up = sub.add_parser("up", help="start the cloudlet server")
    up.add_argument("--host", help="address to bind (default 127.0.0.1; env CLOUDLET_HOST)")
    up.add_argument("--port", type=int, help="port (default 4566; env CLOUDLET_PORT)")
    up.add_argument("--data-dir", help="where state lives (default ./.cloudlet; env CLOUDLET_DATA_DIR)")
    up.add_argument("--store", help="sqlite or postgresql://... (default sqlite; env CLOUDLET_STORE)")
    up.add_argument("--auth", choices=["off", "strict"], help="signature checking (env CLOUDLET_AUTH)")
    up.add_argument("--region", help="default region (default us-east-1; env CLOUDLET_REGION)")
    up.add_argument("--account-id", help="default account id (default 000000000000; env CLOUDLET_ACCOUNT_ID)")
    up.add_argument(
        "--credentials",
        help="access keys, AKID:SECRET:ACCOUNT[:admin|user],... (env CLOUDLET_CREDENTIALS, which keeps "
        "secrets out of the process list)",
    )
    up.add_argument("--log-level", help="debug, info, warning (env CLOUDLET_LOG_LEVEL)")


def banner(config: Config) -> str:
    """What `cloudlet up` prints: the endpoint and the lines that point boto3 and the AWS CLI at it."""
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    endpoint = f"http://{host}:{config.port}"
    key, secret = ("test", "test") if config.auth_mode == "off" else ("<access key>", "<secret key>")
    return "\n".join(
        [
            f"cloudlet {__version__} listening on {endpoint} "
            f"(store: {config.store_kind}, auth: {config.auth_mode}, data: {config.data_path})",
            "Point boto3 and the AWS CLI at it with:",
            f"  export AWS_ENDPOINT_URL={endpoint}",
            f"  export AWS_ACCESS_KEY_ID={key}",
            f"  export AWS_SECRET_ACCESS_KEY={secret}",
            f"  export AWS_DEFAULT_REGION={config.region}",
            "Stop with Ctrl-C.",
        ]
    )


def cmd_up(args) -> int:
    flags = {name: value for name, value in vars(args).items() if name != "command"}
    try:
        config = Config.from_env(**flags)
        config.validate()
    except ValueError as exc:
        print(f"cloudlet: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from cloudlet.server.runner import serve
    from cloudlet.store.sqlite import StoreInUse

    try:
        # returns after SIGINT/SIGTERM once the server has stopped cleanly
        serve(config, announce=lambda: print(banner(config), flush=True))
    except StoreInUse as exc:
        print(f"cloudlet: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloudlet", description="A self-hosted serverless cloud.")
    parser.add_argument("--version", action="version", version=f"cloudlet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _up_parser(sub)
    sub.add_parser("install-node-sdk", help="install the AWS SDK for JavaScript v3 that Node.js functions find "
                   "in /var/runtime/node_modules, as on Lambda (npm; into ~/.cache/cloudlet/aws-sdk-js-v3)")
    return parser


def cmd_install_node_sdk() -> int:
    from cloudlet.compute import node_sdk

    try:
        print(node_sdk.install())
    except node_sdk.npm_cache.BuildError as exc:
        print(f"cloudlet: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "up":
        return cmd_up(args)
    if args.command == "install-node-sdk":
        return cmd_install_node_sdk()
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
