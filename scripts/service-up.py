"""Exit 0 when the service at the URL answers: `service-up.py postgres|redis URL`."""

import sys


def main(kind: str, url: str) -> int:
    try:
        if kind == "postgres":
            import psycopg

            psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
        else:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        print(f"{kind} at {url} does not answer: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
