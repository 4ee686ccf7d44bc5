"""Reader for INSEE « base flux » files and the other flow layouts shipped with the project.

INSEE publishes three origin-destination bases from the census (« bases flux de mobilité »):

========================  ===========  ==============================  ==========================
kind                      destination  measure                         origin / destination
========================  ===========  ==============================  ==========================
``"travail"``             ``DCLT``     ``NBFLUX_C{AA}_ACTOCC15P``      CODGEO → DCLT
``"residentiel"``         ``DCRAN``    ``NBFLUX_C{AA}_POP01P``         DCRAN → CODGEO
                                       (2008: ``NBFLUX_C08_POP05P``)
``"etudes"``              ``DCETU``    ``NBFLUX_C{AA}_SCOL02P``        CODGEO → DCETU
========================  ===========  ==============================  ==========================

For residential migrations CODGEO is the *current* residence and DCRAN the residence one year
(five years for ``POP05P``) earlier, so DCRAN is the **origin** of the move.

Accepted containers and encodings: plain text, ``.gz``, ``.zip`` (one CSV or XLSX member),
INSEE's ``.xlsx`` layout (title rows above the header); ``;`` or ``,`` separator (tab also
works); UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252 / latin-1; CRLF, LF or CR.

Every value is validated with vectorised pyarrow kernels; any problem raises one
:class:`FlowFileError` listing up to :data:`MAX_REPORTED_ERRORS` problems (« ligne N, colonne X :
… », line numbers as in a text editor, header = line 1), so nothing is ever partially imported.

Public API
----------
- :func:`read_insee_flows`: one INSEE base flux file → :class:`FlowFile`.
- :func:`read_metropoles_flows`: the « 5 métropoles » *clean* files → one :class:`FlowFile` per year.
- :func:`read_idf_mode_csp`: the Île-de-France 2012 file by mode and CSP → :class:`FlowFile`.
- :func:`read_flows`: detects which of the three layouts a file has → ``list[FlowFile]``.
- :func:`parse_flow_header`: kind / year / measure of an INSEE header, without reading data.

Modules (one job each):

- :mod:`.base`: kinds, measures, known layouts, limits; :class:`FlowFile`, :class:`FlowFileError`,
  :class:`FlowHeader`.
- :mod:`.loading`: bytes from a path, bytes or file object; gzip / zip / xlsx containers; encodings.
- :mod:`.parsing` (delimited text) and :mod:`.xlsx` (workbooks): a table of strings with editor
  line numbers (:mod:`.table`).
- :mod:`.header`: which layout a header is; what an INSEE header says.
- :mod:`.validation`: vectorised checks of codes, values and labels, errors collected in one message.
- :mod:`.report`: a validated table → :class:`FlowFile` and its French report.
- :mod:`.layouts`: one builder per layout; :mod:`.readers`: the public readers.

Names with a leading underscore are shared between these modules but are not part of the
package's API (the names below are). The package does no I/O at import time and imports neither
Streamlit nor DuckDB (openpyxl only when an xlsx file is read).
"""

from observatoire.sources.insee_flows.base import (
    DEFAULT_MAX_BYTES,
    HEADER_SEARCH_ROWS,
    KIND_LABELS,
    KINDS,
    MAX_REPORTED_ERRORS,
    FlowFile,
    FlowFileError,
    FlowHeader,
    FlowSource,
)
from observatoire.sources.insee_flows.header import parse_flow_header
from observatoire.sources.insee_flows.readers import (
    detect_layout,
    read_flows,
    read_idf_mode_csp,
    read_insee_flows,
    read_metropoles_flows,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "HEADER_SEARCH_ROWS",
    "KIND_LABELS",
    "KINDS",
    "MAX_REPORTED_ERRORS",
    "FlowFile",
    "FlowFileError",
    "FlowHeader",
    "FlowSource",
    "detect_layout",
    "parse_flow_header",
    "read_flows",
    "read_idf_mode_csp",
    "read_insee_flows",
    "read_metropoles_flows",
]
