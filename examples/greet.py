"""A tiny module to try relace on."""

import sys


def greet(name: str) -> str:
    return f"Hello, {name}!"


def farewell(name: str) -> str:
    return f"Goodbye, {name}."


def main(argv: list[str]) -> int:
    for name in argv[1:]:
        print(greet(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
