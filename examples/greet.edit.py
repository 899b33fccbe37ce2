# ... existing code ...


def farewell(name: str) -> str:
    return f"Goodbye, {name}. See you soon!"


def shout(name: str) -> str:
    return greet(name).upper()


# ... existing code ...
