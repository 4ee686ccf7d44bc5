"""Errors carrying a French message meant for the user."""


class ObservatoireError(Exception):
    """Base error: ``str(err)`` is a French sentence that can be shown as is."""


class SourceFileError(ObservatoireError):
    """A source or shipped file is missing, truncated or badly formatted.

    Parameters
    ----------
    path : the file concerned
    problem : French description of what is wrong
    line, column : where, when known (1-based line as in a text editor)
    """

    def __init__(self, path, problem: str, line: int | None = None, column: str | None = None):
        self.path = str(path)
        self.problem = problem
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where += f", ligne {line}"
        if column is not None:
            where += f", colonne « {column} »"
        super().__init__(f"Fichier « {self.path} »{where} : {problem}")


class NotFoundError(ObservatoireError):
    """No territory, perimeter or dataset matches what was asked."""
