"""Feed parsers: académie feed files in, typed records out. No database, no Django.

Why Django-free: the parsers run on files of a whole académie (hundreds of thousands of
records), in tests by the thousand, and from the benchmark; keeping them plain Python makes
them fast to import, easy to test and reusable by the importer, the benchmark generator and
the demo alike.

Records (`records.py`)
    `StructureRecord` (a school) and `PersonRecord` (kind: teacher, personnel, student,
    relative, guest), frozen slotted dataclasses with tuples of `ClassRef`, `GroupRef`,
    `RelativeRef`, `ChildRef`, `FunctionRef`. `external_id` is the join key the importer
    matches on. `source_file` and `line` locate the record but take no part in equality or in
    `checksum` (sha1 of the repr of the other fields), which the importer stores to
    skip unchanged records.

Errors (`errors.py`)
    `FeedError(file, line, message)` refuses a file as a whole: the importer then changes
    nothing. `ParseIssue(file, line, code, reason)` is one problem on one line. Messages are
    French text written here, not gettext msgids (that would pull Django in); each carries a
    stable English `code` ("bad-date", "missing-column", "unsafe-xml"…) for code and tests.

Policy: strict on the file and on identity, liberal on everything else
    - A file malformed as a whole (XML not well formed, undecodable bytes, foreign envelope,
      entity declarations, unknown file name, missing required column, doubled column)
      raises FeedError at once, with the line when there is one.
    - Every attribute (AAF) or column (CSV) a parser reads is classified once
      (`errors.Role`; `aaf.ATTRIBUTE_ROLES`, the CSV schemas' `identity`): identity (id,
      names, the school attachment, and what a generated id is made of) or not.
    - A value that cannot be understood in an attribute that is not identity (a function
      `50247$-$SANS OBJET$-$SANS OBJET`, a class without its code, a bad e-mail or date
      of birth where it makes no id, a Directeur value that is neither oui nor non) is left
      out with a warning (`unreadable-value`, naming the attribute and the value): the
      record is read without it. Placeholders (`-`, `SANS OBJET`, `néant`) read as empty,
      silently.
    - An identity problem of an AAF record that has an id (missing name, id already read, bad
      UAI) refuses that record alone: an error-severity `ParseIssue` carrying its id travels
      with the warnings, the file is read on, and the importer counts the account as listed
      (a refused pupil's relatives stay designated). An AAF record without an id, and an
      identity problem in an ONDE or manual CSV line (whose id is made of the very values
      that are wrong), refuse the file: parsing goes on to find *all* bad lines, then one
      FeedError lists them (up to 100, with the total). Nothing is imported.
    - Warnings travel beside the records for the report.
    - AAF files are parsed lazily (`parse_aaf` is an iterator, memory flat): records stop
      being yielded after the first error and FeedError comes when the file ends, so the
      importer must consume the iterator inside its transaction and roll back on FeedError.
      CSV files are one school's worth and parsed whole.

Parsing ahead (`ahead.py`)
    `AheadParser` runs `parse_aaf` over a run's files in a child process
    (`python -m preau.feeds.parsers.ahead`) and hands the records back in the same order,
    with the same errors and warnings, while the importer writes: used by
    `preau.feeds.inputs.RunInput.reading` for large AAF runs.

Formats
    - `aaf.py`: AAF / AAF1D XML (`parse_aaf(path, flavour)`, `classify(path)`,
      `read_import_directories(root)`); `aaf_writer.py` writes the same format back. Links
      to relatives come from the pupil side (`PersonRecord.relatives`); every PersRelEleve
      record is yielded, and the importer creates a relative only when a pupil references
      it, as the reference ENT does.
    - `onde.py`: the three ONDE extraction files of one school (`parse_onde`).
    - `manual.py`: the five hand-filled templates (`parse_manual_csv`).

Ids for ONDE and manual CSV
    Those files carry no id: `values.generated_id` derives a deterministic one from the
    school key, the kind and loosely normalised names (plus the birth date for pupils, the
    children for parents, who also get per-child `match_keys`). The importer must match on
    these ids exactly as on AAF join keys.

Export
    `neutralise_cell(value)` makes a value safe for a CSV cell a spreadsheet will open
    (`preau.lib.csvfile`, whose `writer` every CSV Préau writes goes through).
"""

from preau.lib.csvfile import neutralise_cell

from .aaf import (
    AafFileKind,
    AafFileName,
    classify,
    parse_aaf,
    read_import_directories,
)
from .aaf_writer import aaf_file_name, file_kind, write_aaf, write_aaf_files
from .errors import FeedError, ParseIssue
from .links import link_relatives
from .manual import CsvImport, ManualTemplate, parse_manual_csv
from .onde import OndeExtraction, parse_onde, parse_onde_directory
from .records import (
    ChildRef,
    ClassRef,
    FeedSource,
    FunctionRef,
    GroupRef,
    PersonKind,
    PersonRecord,
    Record,
    RelativeRef,
    StructureRecord,
)
from .values import generated_id, loose_key

__all__ = [
    "AafFileKind",
    "AafFileName",
    "ChildRef",
    "ClassRef",
    "CsvImport",
    "FeedError",
    "FeedSource",
    "FunctionRef",
    "GroupRef",
    "ManualTemplate",
    "OndeExtraction",
    "ParseIssue",
    "PersonKind",
    "PersonRecord",
    "Record",
    "RelativeRef",
    "StructureRecord",
    "aaf_file_name",
    "classify",
    "file_kind",
    "generated_id",
    "link_relatives",
    "loose_key",
    "neutralise_cell",
    "parse_aaf",
    "parse_manual_csv",
    "parse_onde",
    "parse_onde_directory",
    "read_import_directories",
    "write_aaf",
    "write_aaf_files",
]
