"""What asyncpg's `execute` returns: the command status, such as `UPDATE 12`."""


def rows_affected(status: str) -> int:
    """The row count of a command status (`INSERT 0 3`, `UPDATE 12`, `DELETE 0`)."""
    return int(status.rsplit(" ", 1)[1])
