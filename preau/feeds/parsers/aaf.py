"""AAF and AAF1D XML files (`ficAlimMENESR` envelope).

Each file is read in one streaming pass (`lxml.etree.iterparse` on `addRequest` ends); every
request element is cleared, with the siblings before it, once turned into a record, so memory
stays flat whatever the size of the file. Line numbers come from `sourceline`.

Safety: no DTD is loaded, no entity is resolved, no network is used. A file that declares
entities in an internal DTD subset (XXE, "billion laughs") is refused before any record is
produced, as is any entity reference left in a value. The real files' external
`<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">` is accepted (and ignored).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, NamedTuple

from lxml import etree

from preau.lib.text import clean_line

from .errors import PLACEHOLDERS, FeedError, IssueCollector, ParseIssue, Role, shown
from .records import (
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
from .values import BadDate, parse_date

Flavour = Literal["aaf1d", "aaf"]
ENVELOPE = "ficAlimMENESR"
_REQUESTS = ("addRequest", "modifyRequest", "deleteRequest")


class AafFileKind(StrEnum):
    STRUCTURES = "EtabEducNat"
    PUPILS = "Eleve"
    RELATIVES = "PersRelEleve"
    STAFF = "PersEducNat"
    MEF = "MefEducNat"
    SUBJECTS = "MatiereEducNat"
    SUBJECTS_SHORT = "MatEducNat"


IGNORED_KINDS = frozenset({AafFileKind.MEF, AafFileKind.SUBJECTS, AafFileKind.SUBJECTS_SHORT})
"""2D nomenclature files (MEF, subjects): recognised, produce no record."""

_FILE_NAME = re.compile(
    r"(?P<prefix>.+)_Complet_(?P<date>\d{8})_(?P<type>[A-Za-z]+)_(?P<number>\d{4})\.xml"
)


class AafFileName(NamedTuple):
    kind: AafFileKind
    date: date
    number: int


def classify(path: str | Path) -> AafFileName:
    """Reads `<prefix>_Complet_<yyyymmdd>_<Type>_<NNNN>.xml`; any other name is refused."""
    name = Path(path).name
    match = _FILE_NAME.fullmatch(name)
    if not match:
        raise FeedError(
            name, None,
            "nom de fichier AAF inattendu (attendu <préfixe>_Complet_<aaaammjj>_<Type>_<NNNN>.xml)",
            code="unknown-file",
        )
    try:
        kind = AafFileKind(match["type"])
    except ValueError:
        raise FeedError(name, None, f"type de fichier AAF inconnu « {match['type']} »",
                        code="unknown-file") from None
    raw = match["date"]
    try:
        day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        raise FeedError(name, None, f"date impossible « {raw} » dans le nom du fichier",
                        code="unknown-file") from None
    return AafFileName(kind, day, int(match["number"]))


IMPORT_DIRECTORIES_JSON = "importDirectories.json"


def read_import_directories(root: str | Path) -> list[tuple[str, Path]]:
    """The académie folders of a multi-académie feed drop: `root/importDirectories.json` is a
    JSON list of sub-folder names, each name being the académie prefix of its files.

    Without that file, `root` itself is the only folder, with an empty prefix.
    """
    root_path = Path(root)
    listing = root_path / IMPORT_DIRECTORIES_JSON
    if not listing.exists():
        return [("", root_path)]
    try:
        names = json.loads(listing.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise FeedError(listing.name, None, "encodage illisible (UTF-8 attendu)",
                        code="encoding") from None
    except json.JSONDecodeError as exc:
        raise FeedError(listing.name, exc.lineno, f"JSON invalide : {exc.msg}",
                        code="json-syntax") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise FeedError(listing.name, None, "une liste de noms de dossiers est attendue",
                        code="envelope")
    result: list[tuple[str, Path]] = []
    for name in names:
        if not name or name in {".", ".."} or "/" in name or "\\" in name:
            raise FeedError(listing.name, None, f"nom de dossier refusé « {name} »",
                            code="bad-value")
        folder = root_path / name
        if not folder.is_dir():
            raise FeedError(listing.name, None, f"dossier introuvable « {name} »",
                            code="missing-file")
        result.append((name, folder))
    return result


def parse_aaf(path: str | Path, flavour: Flavour = "aaf1d", *,
              warnings: list[ParseIssue] | None = None) -> Iterator[Record]:
    """Yields the records of one AAF file, lazily.

    The file name must follow the AAF pattern (`classify`); MEF and subject files yield
    nothing. A malformed file raises FeedError as soon as it is found; invalid records are
    collected and raise one FeedError listing them when the file ends (records stop being
    yielded after the first one). The importer must therefore consume the whole iterator
    inside its transaction and roll back on FeedError. Warnings, if a list is given, receive
    the non-blocking issues.
    """
    if flavour not in ("aaf1d", "aaf"):
        raise ValueError(f"unknown AAF flavour {flavour!r}")
    file_name = classify(path)
    if not Path(path).is_file():
        raise FeedError(Path(path).name, None, "fichier introuvable", code="missing-file")
    if file_name.kind in IGNORED_KINDS:
        return iter(())
    reader = _AafReader(Path(path), flavour, file_name.kind)
    return reader.records(warnings)


_LINE_SUFFIX = re.compile(r",? line \d+, column \d+\s*$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A `$`-separated value with a part to clean: outer spaces, or a placeholder.
_ODD_PART = re.compile(r"(?:^|\$)(?:\s|(?:-+|sans objet|n[ée]ant)(?:\$|$))|\s(?:\$|$)",
                       re.IGNORECASE)
_UAI = re.compile(r"\d{7}[A-Z]")
_YES = frozenset({"o", "oui", "y", "yes", "1", "true", "vrai"})
_NO = frozenset({"n", "non", "no", "0", "false", "faux"})

# (attribute names, number of `$` parts): first part is the structure key.
_CLASS_ATTRS_5 = ("ENTPersonClasses",)
_CLASS_ATTRS_2 = ("ENTEleveClasses", "ENTAuxEnsClasses", "ENTAuxEnsClassesMatieres")
_GROUP_ATTRS_5 = ("ENTPersonGroupes",)
_GROUP_ATTRS_2 = ("ENTEleveGroupes", "ENTAuxEnsGroupes", "ENTAuxEnsGroupesMatieres")

_I, _O = Role.IDENTITY, Role.OTHER
ATTRIBUTE_ROLES: dict[str, Role] = {
    # Identity: who the person is, which the school is. A value that cannot be read here
    # refuses the record (with `identifier/id` and `categoriePersonne`, read outside
    # `attributes`: the id, and the profile, which the file's type gives).
    "ENTPersonJointure": _I, "ENTPersonNom": _I, "sn": _I, "ENTPersonPrenom": _I,
    "givenName": _I, "ENTPersonStructRattach": _I,
    "ENTStructureJointure": _I, "ENTStructureUAI": _I, "ENTEtablissementUAI": _I,
    "ENTStructureNomCourant": _I,
    # Everything else: a value that cannot be read is left out, with a warning.
    "ENTPersonCivilite": _O, "personalTitle": _O, "ENTPersonDateNaissance": _O,
    "ENTEleveINE": _O, "ENTPersonMail": _O, "mail": _O, "ENTPersonTelPerso": _O,
    "homePhone": _O, "ENTPersRelEleveTelMobile": _O, "ENTPersonMobileSMS": _O, "mobile": _O,
    "ENTPersRelEleveTelPro": _O, "telephoneNumber": _O, "ENTPersonAdresse": _O,
    "ENTPersonCodePostal": _O, "ENTPersonVille": _O, "ENTPersonPays": _O,
    "ENTEleveNiveau": _O, "ENTEleveNivFormation": _O,
    **dict.fromkeys((*_CLASS_ATTRS_5, *_CLASS_ATTRS_2, *_GROUP_ATTRS_5, *_GROUP_ATTRS_2), _O),
    "ENTEleveAutoriteParentale": _O, "ENTElevePersRelEleve": _O, "ENTPersonFonctions": _O,
    "ENTEnsFonctionDir": _O, "ENTPersonCategorieEnseignant": _O,
    "PersEducNatPresenceDevantEleves": _O,
    "ENTStructureTypeStruct": _O, "ENTServAcAcademie": _O, "ENTServAcCodeAcademie": _O,
    "ENTServCodeAcAcademie": _O, "ENTEcoleCirconscription": _O,
    "ENTEtablissementBassin": _O, "ENTStructureAdresse": _O, "street": _O,
    "ENTStructureCodePostal": _O, "postalCode": _O, "ENTStructureVille": _O, "l": _O,
    "ENTStructureTelephone": _O, "ENTStructureEmail": _O, "ENTStructureMailSI": _O,
    "ENTStructureSIREN": _O,
}
"""Every attribute the parser reads, identity or not (docs/feeds.md, « Unreadable values »)."""

Values = dict[str, list[tuple[str, Any]]]
"""Attribute name -> (text, value element) of its non-empty values."""

_USED_ATTRS = frozenset(ATTRIBUTE_ROLES)


def _parts(text: str) -> list[str]:
    """The `$`-separated parts of a value, placeholders (`-`, `SANS OBJET`…) read as empty.
    (One search of a compiled pattern first: most values need no cleaning.)"""
    parts = text.split("$")
    if _ODD_PART.search(text) is None:
        return parts
    return [("" if p.lower() in PLACEHOLDERS else p) for p in (q.strip() for q in parts)]


def _unless_placeholder(value: str) -> str:
    return "" if len(value) <= 10 and value.lower() in PLACEHOLDERS else value


class _Raw(NamedTuple):
    category: str
    identifier: str
    attrs: Values
    line: int


class _AafReader:
    def __init__(self, path: Path, flavour: Flavour, kind: AafFileKind) -> None:
        self.path = path
        self.name = path.name
        self.kind = kind
        self.source = FeedSource.AAF1D if flavour == "aaf1d" else FeedSource.AAF
        self.issues = IssueCollector(self.name)
        self.seen: dict[str, int] = {}

    def records(self, warnings: list[ParseIssue] | None) -> Iterator[Record]:
        try:
            handle = self.path.open("rb")
        except OSError:
            raise FeedError(self.name, None, "fichier introuvable ou illisible",
                            code="missing-file") from None
        with handle:
            context = etree.iterparse(  # no DTD, no entities, no network
                handle, events=("end",), tag=_REQUESTS, resolve_entities=False,
                no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
                remove_comments=True, remove_blank_text=True,
            )
            root = None
            try:
                for _event, element in context:
                    if root is None:
                        tree = element.getroottree()
                        self._check_document(tree)
                        root = tree.getroot()
                    record = self._record(element, root)
                    # Free this request and every request before it: memory stays flat. (Not
                    # root.clear(): requests parsed ahead, still waiting as events, would be
                    # cut off the tree.)
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while element.getprevious() is not None:
                        del parent[0]
                    if record is not None and not self.issues.has_errors:
                        yield record
            except etree.XMLSyntaxError as exc:
                raise self._syntax_error(exc) from None
            if context.root is None:
                raise FeedError(self.name, None, "fichier vide", code="xml-syntax")
            if root is None:
                self._check_document(context.root.getroottree())
        if warnings is not None:
            warnings.extend(self.issues.warnings)
        self.issues.raise_if_any()

    def _syntax_error(self, exc: etree.XMLSyntaxError) -> FeedError:
        detail = _LINE_SUFFIX.sub("", exc.msg or str(exc))
        lowered = detail.lower()
        if "entity" in lowered or "amplification" in lowered:
            return FeedError(self.name, exc.lineno, f"entités XML refusées ({detail})",
                             code="unsafe-xml")
        if "encoding" in lowered or "utf-8" in lowered or "char" in lowered:
            return FeedError(self.name, exc.lineno, f"encodage illisible ({detail})",
                             code="encoding")
        return FeedError(self.name, exc.lineno, f"XML mal formé ({detail})", code="xml-syntax")

    def _check_document(self, tree: Any) -> None:
        """Refuses entity declarations and a foreign envelope, before any record leaves."""
        dtd = tree.docinfo.internalDTD
        if dtd is not None and any(True for _ in dtd.iterentities()):
            raise FeedError(self.name, 1, "déclarations d'entités XML refusées (DOCTYPE interne)",
                            code="unsafe-xml")
        root = tree.getroot()
        if root.tag != ENVELOPE:
            raise FeedError(self.name, root.sourceline,
                            f"enveloppe inattendue « {root.tag} » (attendu « {ENVELOPE} »)",
                            code="envelope")

    # -- one request -------------------------------------------------------------------

    def _record(self, element: Any, root: Any) -> Record | None:
        line = element.sourceline or 0
        if element.tag != "addRequest":
            self.issues.error(line, "unsupported-request",
                              f"requête « {element.tag} » non prise en charge "
                              "(seuls les fichiers complets, faits d'addRequest, sont lus)")
            return None
        if element.getparent() is not root:
            self.issues.error(line, "envelope", "addRequest hors de l'enveloppe ficAlimMENESR")
            return None
        raw = self._read(element)
        if raw is None:
            return None
        if self.kind is AafFileKind.STRUCTURES:
            return self._structure(raw)
        return self._person(raw)

    def _read(self, element: Any) -> _Raw | None:
        """Collects the request's values. Only the attributes we use are read: AAF files
        carry dozens more (SIECLE details) that would only cost time."""
        category = ""
        identifier = ""
        attrs: Values = {}
        ok = True
        for part in element:
            tag = part.tag
            if tag == "attributes":
                for attr in part:
                    name = attr.get("name")
                    if name in _USED_ATTRS:
                        into = attrs.get(name)
                        if into is None:
                            into = attrs[name] = []
                        for value in attr:  # inlined _values: this loop is the hot path
                            text = value.text
                            if len(value):
                                text = self._text(value)
                            elif text:
                                text = clean_line(html.unescape(text) if "&" in text else text)
                            if text:
                                into.append((text, value))
                    elif not name or attr.tag != "attr":
                        self.issues.error(attr.sourceline, "envelope",
                                          "élément « attr » sans nom dans « attributes »")
                        ok = False
            elif tag == "identifier":
                for id_element in part:
                    identifier = identifier or self._text(id_element)
            elif tag == "operationalAttributes":
                found: list[tuple[str, Any]] = []
                for attr in part:
                    self._values(attr, found)
                category = found[0][0] if found else ""
        return _Raw(category, identifier, attrs, element.sourceline or 0) if ok else None

    def _values(self, attr: Any, into: list[tuple[str, Any]]) -> None:
        """Appends (text, element) for each non-empty value; the element gives the line
        when a problem is reported."""
        for value in attr:
            text = value.text
            if len(value):
                text = self._text(value)
            elif text:
                if "&" in text:
                    # Like the reference ENT: AAF exports double-escape characters (&amp;apos;).
                    text = html.unescape(text)
                text = clean_line(text)
            if text:
                into.append((text, value))

    def _text(self, element: Any) -> str:
        if len(element):
            child = element[0]
            if isinstance(child, etree._Entity):
                self.issues.error(element.sourceline, "unsafe-xml",
                                  f"référence d'entité « &{child.name}; » refusée")
            else:
                self.issues.error(element.sourceline, "envelope",
                                  f"élément inattendu dans « {element.tag} »")
            return ""
        text = element.text or ""
        if "&" in text:
            text = html.unescape(text)
        return clean_line(text)

    # -- structures --------------------------------------------------------------------

    def _structure(self, raw: _Raw) -> StructureRecord | None:
        a = raw.attrs
        external_id = _first(a, "ENTStructureJointure") or raw.identifier
        uai = _first(a, "ENTStructureUAI", "ENTEtablissementUAI")
        name = _unless_placeholder(
            " ".join(_first(a, "ENTStructureNomCourant").replace("$", " ").split()))
        problems: list[tuple[int, str, str]] = []
        if not uai:
            problems.append((raw.line, "missing-value", "UAI manquant"))
        elif not _UAI.fullmatch(uai.upper()):
            problems.append((_line(a, raw.line, "ENTStructureUAI", "ENTEtablissementUAI"),
                             "bad-value", f"UAI invalide « {shown(uai)} »"))
        if not name:
            problems.append((raw.line, "missing-value", "nom de structure manquant"))
        if not self._identified(external_id, raw.line, problems, "structure"):
            return None
        district = _first(a, "ENTEcoleCirconscription", "ENTEtablissementBassin")
        district_code, _, district_name = district.rpartition("$")
        return StructureRecord(
            external_id=external_id,
            uai=uai.upper(),
            name=name,
            source=self.source,
            structure_type=_first(a, "ENTStructureTypeStruct"),
            academy=_first(a, "ENTServAcAcademie"),
            academy_code=_first(a, "ENTServAcCodeAcademie", "ENTServCodeAcAcademie"),
            circonscription=district_name,
            circonscription_code=district_code,
            address=_first(a, "ENTStructureAdresse", "street"),
            postal_code=_first(a, "ENTStructureCodePostal", "postalCode"),
            city=_first(a, "ENTStructureVille", "l"),
            phone=_first(a, "ENTStructureTelephone", "telephoneNumber"),
            email=_first(a, "ENTStructureEmail", "ENTStructureMailSI"),
            siren=_first(a, "ENTStructureSIREN"),
            source_file=self.name,
            line=raw.line,
        )

    # -- persons -----------------------------------------------------------------------

    def _person(self, raw: _Raw) -> PersonRecord | None:
        a = raw.attrs
        f = {name: values[0][0] for name, values in a.items() if values}  # first values
        expected = self.kind.value
        if raw.category and raw.category != expected:
            self.issues.warn(raw.line, "unexpected-category",
                             f"catégorie « {raw.category} » dans un fichier {expected}")
        external_id = f.get("ENTPersonJointure") or raw.identifier
        last_name = f.get("ENTPersonNom") or f.get("sn", "")
        first_name = f.get("ENTPersonPrenom") or f.get("givenName", "")
        last_name = _unless_placeholder(last_name)  # `-` is no name
        first_name = _unless_placeholder(first_name)
        problems: list[tuple[int, str, str]] = []
        if not last_name:
            problems.append((raw.line, "missing-value", "nom manquant"))
        if not first_name:
            problems.append((raw.line, "missing-value", "prénom manquant"))
        if not self._identified(external_id, raw.line, problems, "personne", a):
            return None
        errors = self.issues.error_count
        birth_date = self._date(a, "ENTPersonDateNaissance")
        structures = tuple(dict.fromkeys(v for v, _ in a.get("ENTPersonStructRattach", ())))
        classes = self._classes(a, ClassRef, _CLASS_ATTRS_5, _CLASS_ATTRS_2)
        groups = self._classes(a, GroupRef, _GROUP_ATTRS_5, _GROUP_ATTRS_2)
        relatives: tuple[RelativeRef, ...] = ()
        functions: tuple[FunctionRef, ...] = ()
        director_of: tuple[str, ...] = ()
        mail = self._checked(a, _EMAIL, "adresse électronique", "ENTPersonMail", "mail")
        if self.kind is AafFileKind.PUPILS:
            kind = PersonKind.STUDENT
            relatives = self._relatives(a)
        elif self.kind is AafFileKind.RELATIVES:
            kind = PersonKind.RELATIVE
        else:
            functions = self._functions(a)
            kind = _staff_kind(f, functions)
            director_of = self._direction(a, structures, functions)
        if self.issues.error_count > errors:
            return None
        is_staff = kind is PersonKind.TEACHER or kind is PersonKind.PERSONNEL
        return PersonRecord(
            kind=kind,
            external_id=external_id,
            last_name=last_name,
            first_name=first_name,
            source=self.source,
            birth_date=birth_date,
            title=f.get("ENTPersonCivilite") or f.get("personalTitle", ""),
            ine=_unless_placeholder(f.get("ENTEleveINE", "")),
            academic_email=mail if is_staff else "",
            email="" if is_staff else mail,
            phone=f.get("ENTPersonTelPerso") or f.get("homePhone", ""),
            mobile=(f.get("ENTPersRelEleveTelMobile") or f.get("ENTPersonMobileSMS")
                    or f.get("mobile", "")),
            work_phone=f.get("ENTPersRelEleveTelPro") or f.get("telephoneNumber", ""),
            address=_address(f.get("ENTPersonAdresse", "")),
            postal_code=f.get("ENTPersonCodePostal", ""),
            city=f.get("ENTPersonVille", ""),
            country=f.get("ENTPersonPays", ""),
            level=f.get("ENTEleveNiveau") or f.get("ENTEleveNivFormation", ""),
            structures=structures,
            classes=classes,
            groups=groups,
            relatives=relatives,
            functions=functions,
            director_of=director_of,
            teacher_category=f.get("ENTPersonCategorieEnseignant", ""),
            source_file=self.name,
            line=raw.line,
        )

    def _identified(self, external_id: str, line: int, problems: list[tuple[int, str, str]],
                    what: str, a: Values | None = None) -> bool:
        """Whether the record can be imported, given its identity problems.

        Without an id the file is refused (the run could not tell whose account the record
        is, and would mark it missing). With an id, a record with an identity problem (a
        missing name, a bad UAI, an id already read) is refused alone: the run goes on, and
        counts the id as listed (`IssueCollector.refuse`)."""
        if not external_id:
            self.issues.error(line, "missing-value", f"identifiant de {what} manquant")
            for problem in problems:
                self.issues.error(*problem)
            return False
        first = self.seen.get(external_id)
        if first is not None:
            problems.append((line, "duplicate-id", f"identifiant « {shown(external_id)} » "
                             f"en double (déjà ligne {first})"))
        else:
            self.seen[external_id] = line
        # A person's id is kept with the refusal (their account stays listed); schools are
        # never marked missing by a run.
        kept = external_id if what == "personne" else ""
        relatives: tuple[str, ...] = ()
        if problems and a is not None and self.kind is AafFileKind.PUPILS:
            relatives = tuple(r.external_id for r in self._relatives(a))
        for at, code, reason in problems:
            self.issues.refuse(at, code, f"fiche refusée : {reason}", kept, relatives)
        return not problems

    def _date(self, a: Values, name: str) -> date | None:
        values = a.get(name)
        if not values:
            return None
        text, node = values[0]
        if text.lower() in PLACEHOLDERS:
            return None
        try:
            return parse_date(text, iso=False)
        except BadDate as exc:
            self.issues.unreadable(node.sourceline, ATTRIBUTE_ROLES[name], name, text,
                                   "date", detail=exc.reason.split(" «")[0])
            return None

    def _checked(self, a: Values, pattern: re.Pattern[str], what: str,
                 *names: str) -> str:
        """The first value of the first attribute present, when it matches `pattern`;
        otherwise "" and (unless it is a placeholder) a warning."""
        for name in names:
            values = a.get(name)
            if values:
                text, node = values[0]
                if pattern.fullmatch(text):
                    return text
                if text.lower() not in PLACEHOLDERS:
                    self.issues.unreadable(node.sourceline, ATTRIBUTE_ROLES[name], name, text,
                                           what)
                return ""
        return ""

    def _classes(self, a: Values, ref: type[ClassRef] | type[GroupRef],
                 five_part: tuple[str, ...], two_part: tuple[str, ...]) -> tuple[Any, ...]:
        """1D values have 5 parts (structure key, …, code, name); 2D values 2 or more
        (structure key, code[, subject]). A value without its structure key or its code
        (and name) is left out, with a warning."""
        found: dict[Any, None] = {}
        label = "classe" if ref is ClassRef else "groupe"
        for name in (*five_part, *two_part):
            for text, node in a.get(name, ()):
                parts = _parts(text)
                item = None
                if name in five_part:
                    if len(parts) == 5 and parts[0] and (parts[3] or parts[4]):
                        item = ref(parts[0], parts[3] or parts[4], parts[4] or parts[3])
                elif len(parts) >= 2 and parts[0] and parts[1]:
                    item = ref(parts[0], parts[1], parts[1])
                if item is not None:
                    found[item] = None
                elif any(parts):
                    self.issues.unreadable(node.sourceline, ATTRIBUTE_ROLES[name], name, text,
                                           label)
        return tuple(found)

    def _relatives(self, a: Values) -> tuple[RelativeRef, ...]:
        """1D: ENTEleveAutoriteParentale, part 0 = relative id, always legal. 2D:
        ENTElevePersRelEleve, 6 parts; the 4th (index 3) says legal representative unless
        "0", as in the reference ENT. A value without the relative's id is left out."""
        found: dict[str, RelativeRef] = {}
        for name in ("ENTEleveAutoriteParentale", "ENTElevePersRelEleve"):
            for text, node in a.get(name, ()):
                parts = _parts(text)
                relative_id = parts[0]
                if not relative_id:
                    if any(parts):
                        self.issues.unreadable(node.sourceline, ATTRIBUTE_ROLES[name], name,
                                               text, "responsable")
                    continue
                if name == "ENTEleveAutoriteParentale":
                    found.setdefault(relative_id, RelativeRef(relative_id, True))
                    continue
                if len(parts) != 6:
                    self.issues.warn(node.sourceline, "odd-value",
                                     f"responsable « {shown(text)} » ({name}) : 6 parties "
                                     f"attendues, {len(parts)} lues ; lien gardé")
                legal = len(parts) < 4 or parts[3] != "0"
                previous = found.get(relative_id)
                if previous is None or (legal and not previous.legal):
                    found[relative_id] = RelativeRef(relative_id, legal,
                                                     parts[1] if len(parts) > 1 else "")
        return tuple(found.values())

    def _functions(self, a: Values) -> tuple[FunctionRef, ...]:
        """`structure$code$label$subject code$subject`; a function without its structure or
        its code (`50247$-$SANS OBJET$-$SANS OBJET`) is left out, with a warning."""
        found: dict[FunctionRef, None] = {}
        for text, node in a.get("ENTPersonFonctions", ()):
            parts = _parts(text)
            if len(parts) < 2 or not parts[0] or not parts[1]:
                if any(parts):
                    self.issues.unreadable(node.sourceline, ATTRIBUTE_ROLES["ENTPersonFonctions"],
                                           "ENTPersonFonctions", text, "fonction")
                continue
            parts = (parts + [""] * 5)[:5]
            found[FunctionRef(*parts)] = None
        return tuple(found)

    def _direction(self, a: Values, structures: tuple[str, ...],
                   functions: tuple[FunctionRef, ...]) -> tuple[str, ...]:
        """ENTEnsFonctionDir holds structure keys (or a plain yes/no flag meaning every
        structure of the person); a DIR function also makes its holder head of that school."""
        found: dict[str, None] = {}
        for text, _node in a.get("ENTEnsFonctionDir", ()):
            flag = text.lower()
            if flag in _YES:
                found.update(dict.fromkeys(structures))
            elif flag not in _NO:
                found[text] = None
        for function in functions:
            if function.code == "DIR":
                found[function.structure_key] = None
        return tuple(found)


def _staff_kind(f: dict[str, str], functions: tuple[FunctionRef, ...]) -> PersonKind:
    """Teacher when ENTPersonCategorieEnseignant says so; without it, when the person stands
    in front of pupils (2D) or holds a teaching (ENS) or library (DOC) function; else staff.
    This is the reference ENT's rule."""
    category = f.get("ENTPersonCategorieEnseignant", "").lower()
    if category:
        return PersonKind.TEACHER if category in _YES else PersonKind.PERSONNEL
    if f.get("PersEducNatPresenceDevantEleves", "").lower() in _YES:
        return PersonKind.TEACHER
    if any(f.code in ("ENS", "DOC") for f in functions):
        return PersonKind.TEACHER
    return PersonKind.PERSONNEL


def _first(a: Values, *names: str) -> str:
    for name in names:
        values = a.get(name)
        if values:
            return values[0][0]
    return ""


def _line(a: Values, default: int, *names: str) -> int:
    for name in names:
        values = a.get(name)
        if values:
            return int(values[0][1].sourceline or default)
    return default


def _address(value: str) -> str:
    """SIECLE addresses are up to 4 `$`-separated lines."""
    if "$" not in value:
        return value
    return ", ".join(part.strip() for part in value.split("$") if part.strip())

