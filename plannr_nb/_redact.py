"""Masking personal data in frames and texts, consistently, so a report can leave the firm.

What is masked, in every text column of the executions, steps and accounts frames (names,
``info``, ``errors``, ``triggered_by``, tags, every account field):

* the values of the accounts and of the people named in them (adviser, administrator,
  paraplanner, introducer, owners): full names, first names and surnames as whole *capitalised*
  words, e-mails (any case), phone numbers (in any writing: compared as numbers), referral
  codes, photo URLs; households (circles) by name; a capitalised word or two before a known
  surname is another person of that family ("Rahul Sharma" when the client is a Sharma);
* by pattern, whoever they belong to: e-mail addresses (internationalised too), phone numbers
  (``phonenumbers``' matcher, UK writings and international ones with ``+``), National
  Insurance numbers, postcodes, street addresses (a house number, capitalised name and a street
  word such as Road, Close, Rd, St), dates of birth after ``DOB``, ``D.O.B.``, ``date of birth``
  or ``born``, sort codes, bank account numbers next to an account word, IBANs (checksum
  validated) and payment card numbers (Luhn checked).

Names are matched only as capitalised words, so a client called "Will Mark" leaves "will retry"
and "mark as done" alone. A known name that is also a common English word ("Will", "Mark",
"May", "Grace", ...) is kept when it starts a sentence on its own ("Will retry at noon."):
there it is far more often the word than the person. Everywhere else a capitalised known name
is masked, so "Spoke to Will" loses the name.

What is not caught: a name nobody told us about that is not next to a known surname or an
e-mail ("Email to Zara Quinton <zq@...>" is caught; "Zara called" is not), names written in
lower case, free-form addresses without a house number and street word, dates of birth without
a cue word. Redaction lowers the risk; it does not remove it: a person should still read a
report before it leaves the firm.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, overload

import polars as pl

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

__all__ = ["PERSONAL_COLUMNS", "Redactor", "redact"]

#: Columns whose whole value is personal data: the kind of pseudonym it gets.
PERSONAL_COLUMNS: dict[str, str] = {
    "name": "person",  # only in an accounts frame (see _is_accounts)
    "account_name": "person",
    "first_name": "person",
    "last_name": "person",
    "email": "email",
    "primary_email": "email",
    "primary_phone_number": "phone",
    "photo_url": "url",
    "referral_code": "code",
    "assigned_adviser": "person",
    "assigned_administrator": "person",
    "assigned_paraplanner": "person",
    "introduced_by": "person",
    "owners": "person",
    # Circles are households, named after the family ("Osei family").
    "circles": "group",
    "joint_account_circle": "group",
}
_RELATION_PEOPLE = (
    "assigned_adviser",
    "assigned_administrator",
    "assigned_paraplanner",
    "introduced_by",
    "owners",
)

#: The categories counted, in the order :meth:`Redactor.summary` names them (plural, singular).
_CATEGORIES: dict[str, str] = {
    "names": "name",
    "e-mails": "e-mail",
    "phone numbers": "phone number",
    "addresses": "address",
    "postcodes": "postcode",
    "dates of birth": "date of birth",
    "NI numbers": "NI number",
    "sort codes": "sort code",
    "account numbers": "account number",
    "IBANs": "IBAN",
    "card numbers": "card number",
    "referral codes": "referral code",
    "photo URLs": "photo URL",
    "households": "household",
}

_PSEUDONYM_DOMAIN = "redacted.invalid"
# Local part and domain labels of any script; no trailing dot. Our own pseudonyms are skipped.
_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+[\w-]{2,}(?![\w-])"
)
_NAME_WORD = r"[^\W\d_][\w'\u2019-]*"
# "Jane Doe <jane@example.com>": the name before an address is that person's.
_NAMED_EMAIL = re.compile(
    rf"(?<![\w'\u2019-])({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})[ \t]*[<(\[\u2039][ \t]*"
    rf"({_EMAIL.pattern})[ \t]*[>)\]\u203a]"
)
# What a redactor writes: left alone when a redacted frame is redacted again.
_PSEUDONYM = re.compile(
    rf"(?:Person \d+|person\d+@{re.escape(_PSEUDONYM_DOMAIN)}|Household \d+"
    r"|\[[a-zA-Z ]+(?: \d+)?\])"
    r"(?:, (?:Person \d+|Household \d+))*"
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![\w])", re.I)
_CARD = re.compile(r"(?<![\w-])[2-6](?:[ -]?\d){12,18}(?![\w-])")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DOB = re.compile(
    r"(?<!\w)(?P<cue>d\.?o\.?b\b\.?|date\s+of\s+birth\b|born\b(?:\s+on\b)?)(?P<sep>[\s:=\-\u2013]*)"
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}|{_MONTH}\s+{_DAY},?\s+\d{{4}})(?!\d)",
    re.I,
)
_NI_NUMBER = re.compile(r"(?<!\w)[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D](?!\w)", re.I)
_SORT_CODE = re.compile(
    r"(?P<cue>(?<!\w)sort[\s-]?code\b[\s:=#]*(?:is\s+)?)(?P<code>\d{2}[ -]?\d{2}[ -]?\d{2})(?!\d)"
    r"|(?<![\d-])(?P<bare>\d{2}-\d{2}-\d{2})(?![\d-])",
    re.I,
)
_ACCOUNT_NUMBER = re.compile(
    r"(?P<cue>(?<!\w)(?:account|acct|acc|a/c)\.?(?:\s*(?:number|num|no)\b\.?)?[\s:=#]*)"
    r"(?P<number>\d(?:[ -]?\d){5,9})(?![\d-])",
    re.I,
)
_STREET_WORDS = (
    "Road|Rd|Street|St|Avenue|Ave|Close|Lane|Ln|Way|Drive|Court|Ct|Crescent|Cres|Gardens|Gdns"
    "|Place|Pl|Terrace|Grove|Square|Sq|Mews|Row|Walk|Hill|Rise|Parade|Park|View"
)
_ADDRESS = re.compile(
    r"(?:(?<!\w)(?:Flat|Apartment|Apt|Unit)\s+\d{1,4}[A-Za-z]?,?\s+)?"
    r"(?<![\w-])\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'\u2019-]*\s+){1,3}"
    rf"(?:{_STREET_WORDS})\b\.?"
)
_POSTCODE = re.compile(r"(?<!\w)(?:GIR\s?0AA|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})(?!\w)", re.I)
_ENOUGH_DIGITS = re.compile(r"(?:\d\D{0,3}){7}")

# Words that are not names even when capitalised before a surname ("Dear Sharma", "Mrs Sharma").
_NOT_NAMES = frozenset(
    str.split(
        """mr mrs ms miss mx dr prof sir dame lady lord rev dear hi hello to from for with and or
    but the a an if when then call called calling email emailed emailing contact contacted ask
    asked tell told remind reminded send sent spoke speak phone phoned text texted meet met
    client adviser advisor note re fwd fw cc attn per via by on at in of as is was person"""
    )
)
# Names that are also common English words: kept when alone at the start of a sentence.
_COMMON_WORDS = frozenset(
    str.split(
        """will mark may june april august grace hope faith joy rose iris ivy holly dawn eve
    summer autumn bill bob pat sue frank rich guy art chase hunter page reed miles young long
    hall wood king green brown white black hill cook baker mason carter fisher taylor turner
    walker shepherd may sterling penny ruby amber crystal pearl sky rain star storm river
    lake ray earl duke prince dean drew gene grant jack jay lee max neil norm percy rob sandy
    victor wade ward will win bell bishop bolt bush butler chance child clay cross day dove
    fox frost gay gill golden gray grey hale hart heath hay hope house hunt lamb lane law love
    marsh may moody moon moss nash noble north oak park pool price read rich root rush salmon
    sharp short small snow spring stone street strong swan sweet tailor wall waters west
    wild wise"""
    )
)


def _is_accounts(frame: pl.DataFrame) -> bool:
    return "account_uuid" in frame.columns and "email" in frame.columns


def _is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and _PSEUDONYM.fullmatch(value) is not None


def _plural(count: int, category: str) -> str:
    return f"{count} {category if count != 1 else _CATEGORIES[category]}"


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'(\u201c\u2018[")
    return not before or before[-1] in ".!?:;\n"


class Redactor:
    """Replaces personal data with pseudonyms, one number per person everywhere.

    Use one redactor for every frame of a report, so "Person 3" in the steps table is
    "Person 3" in the accounts table too::

        redactor = Redactor()
        executions, steps, accounts = redactor.redact(executions, steps, accounts)
        print(redactor.summary())  # Masked: 3 names, 2 e-mails, 1 phone number.

    Every person gets one number: the client of the first account is "Person 1", their e-mail
    ``person1@redacted.invalid`` and their phone ``[phone 1]``, in the account columns and
    inside any text alike. An e-mail or phone number that belongs to nobody we know gets a
    number of its own from the same counter, so a number never means two people. The other
    categories become labels: ``[address]``, ``[postcode]``, ``[date of birth]``, ``[NI
    number]``, ``[sort code]``, ``[account number]``, ``[IBAN]``, ``[card number]``.

    What is masked, and what is not, is listed in the module's docstring
    (``help(plannr_nb._redact)``): redaction catches the usual forms, not every one, so a
    person should still read a report before it leaves the firm.
    """

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}  # "email:...", "name:...", ... -> person number
        self._next = 0
        self._groups: dict[str, int] = {}
        self._full_names: dict[str, int] = {}  # lower-case multi-word name -> person
        self._single_names: dict[str, int] = {}  # first names, surnames, name parts
        self._surnames: set[str] = set()
        self._literals: dict[str, str] = {}  # photo URLs: lower case -> label
        self._codes: dict[str, str] = {}  # referral codes: lower -> label
        self._phone_patterns: list[tuple[re.Pattern[str], str]] = []
        self._names_re: tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str]] | None
        self._names_re = None
        self._masked: dict[str, set[str]] = {category: set() for category in _CATEGORIES}

    # --- people and their numbers -------------------------------------------------------

    def _person(self, *keys: str) -> int:
        """The number of the person known by any of ``keys``; all of them are theirs now."""
        keys = tuple(key for key in keys if key.split(":", 1)[1])
        number = next((self._numbers[k] for k in keys if k in self._numbers), None)
        if number is None:
            self._next += 1
            number = self._next
        for key in keys:
            self._numbers.setdefault(key, number)
        return number

    def _learn_name(self, name: str, number: int) -> None:
        words = [w for w in re.findall(_NAME_WORD, name) if w.lower() not in _NOT_NAMES]
        if not words:
            return
        self._names_re = None
        if len(words) > 1:
            self._full_names.setdefault(" ".join(words).lower(), number)
            self._surnames.add(words[-1].lower())
        parts = [*words, *(p for w in words if "-" in w for p in w.split("-"))]
        for part in parts:
            if len(part) >= 2:
                self._single_names.setdefault(part.lower(), number)

    def _learn_phone(self, value: str, number: int) -> None:
        key = self._phone_key(value)
        if key is None:
            return
        self._numbers.setdefault(f"phone:{key}", number)
        digits = key.removeprefix("+44")
        if len(digits) >= 7:
            sep = r"[\s().\-]*"
            body = sep.join(re.escape(d) for d in digits)
            prefix = r"(?:\+\s*44|0044)\s*(?:\(0\))?" if key.startswith("+44") else r"\+?"
            trunk = rf"(?:{prefix}|\(?0)" if key.startswith("+44") else prefix
            pattern = re.compile(rf"(?<![\w+]){trunk}{sep}{body}(?!\d)")
            self._phone_patterns.append((pattern, key))

    @staticmethod
    def _phone_key(value: str) -> str | None:
        import phonenumbers

        try:
            parsed = phonenumbers.parse(value, "GB")
        except phonenumbers.NumberParseException:
            digits = re.sub(r"\D", "", value)
            return digits or None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def _learn_account(self, row: dict[str, Any]) -> None:
        row = {k: None if _is_pseudonym(v) else v for k, v in row.items()}
        name = row.get("name") or " ".join(
            p for p in (row.get("first_name"), row.get("last_name")) if p
        )
        emails = [row.get("email"), row.get("primary_email")]
        phone = row.get("primary_phone_number")
        phone_key = self._phone_key(phone) if phone else None
        number = self._person(
            f"account:{row.get('account_uuid') or ''}",
            f"name:{(name or '').strip().lower()}",
            *(f"email:{e.strip().casefold()}" for e in emails if e),
            f"phone:{phone_key or ''}",
        )
        for value in (name, row.get("first_name"), row.get("last_name")):
            if value:
                self._learn_name(value, number)
        if phone:
            self._learn_phone(phone, number)
        if row.get("referral_code"):
            self._codes[row["referral_code"].strip().lower()] = f"[referral code {number}]"
        if row.get("photo_url"):
            self._literals[row["photo_url"].strip().lower()] = f"[photo {number}]"

    def _learn_identities(self, frame: pl.DataFrame) -> None:
        if _is_accounts(frame):
            for row in frame.iter_rows(named=True):
                self._learn_account(row)
        if {"account_uuid", "account_name"} <= set(frame.columns):
            pairs = frame.select("account_uuid", "account_name").unique(maintain_order=True)
            for uuid, name in pairs.iter_rows():
                if name and not _is_pseudonym(name):
                    number = self._person(f"account:{uuid or ''}", f"name:{name.lower()}")
                    self._learn_name(name, number)

    def _learn_relations(self, frame: pl.DataFrame) -> None:
        for column in _RELATION_PEOPLE:
            if column not in frame.columns or frame.schema[column] != pl.String:
                continue
            for value in frame[column].drop_nulls().unique(maintain_order=True).to_list():
                for part in value.split(", "):
                    if part.strip() and not _is_pseudonym(part):
                        self._learn_name(part, self._person(f"name:{part.strip().lower()}"))

    def pseudonym(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` as a ``kind``, counted as masked.

        ``kind`` is one of ``person``, ``email``, ``phone``, ``url``, ``code`` or ``group``
        (the kinds of :data:`PERSONAL_COLUMNS`). The same value always gets the same
        pseudonym, and a person's e-mail and phone carry their person number.
        """
        text = value.strip()
        if kind == "email":
            key = text.casefold()
            if key.endswith("@" + _PSEUDONYM_DOMAIN):
                return text
            number = self._person(f"email:{key}")
            self._masked["e-mails"].add(key)
            return f"person{number}@{_PSEUDONYM_DOMAIN}"
        if kind == "phone":
            key = self._phone_key(text) or text
            number = self._person(f"phone:{key}")
            self._masked["phone numbers"].add(key)
            return f"[phone {number}]"
        if kind == "group":
            key = text.lower()
            group = self._groups.setdefault(key, len(self._groups) + 1)
            self._masked["households"].add(key)
            return f"Household {group}"
        if kind == "url":
            label = self._literals.get(text.lower()) or (
                f"[photo {self._person(f'url:{text.lower()}')}]"
            )
            self._masked["photo URLs"].add(text.lower())
            return label
        if kind == "code":
            label = self._codes.get(text.lower()) or (
                f"[referral code {self._person(f'code:{text.lower()}')}]"
            )
            self._masked["referral codes"].add(text.lower())
            return label
        key = " ".join(text.split()).lower()
        person = self._full_names.get(key) or self._single_names.get(key)
        if person is None:
            person = self._person(f"name:{key}")
        self._masked["names"].add(str(person))
        return f"Person {person}"

    # --- free text ----------------------------------------------------------------------

    def _patterns(self) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str]]:
        if self._names_re is None:

            def alternation(names: Iterable[str]) -> str:
                ordered = sorted(names, key=len, reverse=True)
                return "|".join(r"\s+".join(map(re.escape, n.split())) for n in ordered)

            edge_l, edge_r = r"(?<![\w'\u2019-])", r"(?![\w'\u2019-])"
            full = re.compile(
                rf"{edge_l}(?:{alternation(self._full_names) or '(?!)'}){edge_r}", re.I
            )
            sharers = None
            if self._surnames:
                sharers = re.compile(
                    rf"{edge_l}((?:{_NAME_WORD}[ \t]+){{1,2}})({alternation(self._surnames)})"
                    rf"{edge_r}",
                    re.I,
                )
            single = re.compile(
                rf"{edge_l}(?:{alternation(self._single_names) or '(?!)'}){edge_r}", re.I
            )
            self._names_re = (full, sharers, single)
        return self._names_re

    def _mask_names(self, text: str) -> str:
        full, sharers, single = self._patterns()

        def capitalised(words: str) -> bool:
            return all(word[0].isupper() for word in words.split())

        def full_name(m: re.Match[str]) -> str:
            if not capitalised(m.group(0)):
                return m.group(0)
            return self.pseudonym("person", " ".join(m.group(0).split()))

        def sharer(m: re.Match[str]) -> str:
            words = m.group(1).split()
            while words and (words[0].lower() in _NOT_NAMES or not words[0][0].isupper()):
                words.pop(0)
            surname = m.group(2)
            if not words or not surname[0].isupper() or words[-1].lower() in _NOT_NAMES:
                return m.group(0)
            keep = m.group(0)[: m.group(0).index(words[0], 0)]
            whole = " ".join([*words, surname])
            if whole.lower() in self._full_names:
                return keep + self.pseudonym("person", whole)
            number = self._person(f"name:{whole.lower()}")
            self._masked["names"].add(str(number))
            return f"{keep}Person {number}"

        def single_name(m: re.Match[str]) -> str:
            word = m.group(0)
            if not word[0].isupper():
                return word
            if word.lower() in _COMMON_WORDS and _sentence_start(m.string, m.start()):
                return word
            number = self._single_names[word.lower()]
            self._masked["names"].add(str(number))
            return f"Person {number}"

        out = full.sub(full_name, text)
        if sharers is not None:
            out = sharers.sub(sharer, out)
        return single.sub(single_name, out)

    def _mask_phones(self, text: str) -> str:
        for pattern, key in self._phone_patterns:
            text = pattern.sub(self._fixed("phone", key), text)
        if not _ENOUGH_DIGITS.search(text):
            return text
        import phonenumbers

        uuids = [m.span() for m in _UUID.finditer(text)]
        pieces: list[str] = []
        end = 0
        matcher = phonenumbers.PhoneNumberMatcher(
            text, "GB", leniency=phonenumbers.Leniency.POSSIBLE
        )
        for match in matcher:
            if any(a < match.end and match.start < b for a, b in uuids):
                continue
            if not self._plausible_phone(match.raw_string, match.number):
                continue
            pieces += [text[end : match.start], self._phone_label(match.number)]
            end = match.end
        return "".join([*pieces, text[end:]])

    @staticmethod
    def _plausible_phone(raw: str, number: PhoneNumber) -> bool:
        import phonenumbers

        # The POSSIBLE leniency finds any digit run of a possible length ("2026-06-08",
        # "12345678"): a phone number is written from its trunk "0" or an international prefix.
        national = phonenumbers.national_significant_number(number)
        head = raw.lstrip("( ")
        if head.startswith(("+", "00")):
            return len(national) >= 7
        return head.startswith("0") and len(national) >= 9

    def _phone_label(self, number: PhoneNumber) -> str:
        import phonenumbers

        key = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return self.pseudonym("phone", key)

    def _fixed(self, kind: str, value: str) -> Callable[[re.Match[str]], str]:
        return lambda _match: self.pseudonym(kind, value)

    def _label(self, category: str, label: str) -> Callable[[re.Match[str]], str]:
        def replace(m: re.Match[str]) -> str:
            self._masked[category].add(re.sub(r"\W", "", m.group(0)).lower())
            return label

        return replace

    def _mask_numbers(self, text: str) -> str:
        from stdnum import iban, luhn

        def iban_match(m: re.Match[str]) -> str:
            found = m.group(0)
            # The pattern may run on into the next word: the longest valid prefix is the IBAN.
            for end in range(len(found), 14, -1):
                boundary = found[end - 1] != " " and (end == len(found) or found[end] == " ")
                if boundary and iban.is_valid(found[:end]):
                    self._masked["IBANs"].add(iban.compact(found[:end]))
                    return "[IBAN]" + found[end:]
            return found

        def card_match(m: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", m.group(0))
            if not (13 <= len(digits) <= 19 and luhn.is_valid(digits)):
                return m.group(0)
            self._masked["card numbers"].add(digits)
            return "[card number]"

        def dob(m: re.Match[str]) -> str:
            self._masked["dates of birth"].add(m.group("date").lower())
            return f"{m.group('cue')}{m.group('sep')}[date of birth]"

        def sort_code(m: re.Match[str]) -> str:
            code = m.group("code") or m.group("bare")
            self._masked["sort codes"].add(re.sub(r"\D", "", code))
            return f"{m.group('cue') or ''}[sort code]"

        def account(m: re.Match[str]) -> str:
            self._masked["account numbers"].add(re.sub(r"\D", "", m.group("number")))
            return f"{m.group('cue')}[account number]"

        text = _IBAN.sub(iban_match, text)
        text = _CARD.sub(card_match, text)
        text = _DOB.sub(dob, text)
        text = _NI_NUMBER.sub(self._label("NI numbers", "[NI number]"), text)
        text = _SORT_CODE.sub(sort_code, text)
        return _ACCOUNT_NUMBER.sub(account, text)

    def text(self, value: str) -> str:
        """Mask personal data inside free text (see the class and module docstrings)."""
        if not value or not value.strip():
            return value
        out = _NAMED_EMAIL.sub(self._named_email, value)
        out = _EMAIL.sub(lambda m: self.pseudonym("email", m.group(0)), out)
        for literal in self._literals:
            if literal in out.lower():
                out = re.sub(re.escape(literal), self._fixed("url", literal), out, flags=re.I)
        if self._codes:
            codes = "|".join(map(re.escape, sorted(self._codes, key=len, reverse=True)))
            out = re.sub(
                rf"(?<!\w)(?:{codes})(?!\w)",
                lambda m: self.pseudonym("code", m.group(0)),
                out,
                flags=re.I,
            )
        out = self._mask_numbers(out)
        out = self._mask_phones(out)
        out = _ADDRESS.sub(self._label("addresses", "[address]"), out)
        out = _POSTCODE.sub(self._label("postcodes", "[postcode]"), out)
        return self._mask_names(out)

    def _named_email(self, m: re.Match[str]) -> str:
        words = m.group(1).split()
        while words and (words[0].lower() in _NOT_NAMES or not words[0][0].isupper()):
            words.pop(0)
        if not words:
            return m.group(0)
        name = " ".join(words)
        number = self._person(f"name:{name.lower()}", f"email:{m.group(2).casefold()}")
        self._masked["names"].add(str(number))
        kept = m.group(1)[: m.group(1).index(words[0])]
        # The address itself is masked next, to the same number.
        return f"{kept}Person {number}{m.group(0)[len(m.group(1)) :]}"

    # --- frames -------------------------------------------------------------------------

    def _column_kind(self, frame: pl.DataFrame, column: str) -> str | None:
        if column == "name" and not _is_accounts(frame):
            return None
        return PERSONAL_COLUMNS.get(column)

    def _value(self, kind: str | None, value: str) -> str:
        if _is_pseudonym(value):
            return value
        if kind is None:
            return self.text(value)
        if kind in {"person", "group"}:
            return ", ".join(self.pseudonym(kind, part) for part in value.split(", "))
        return self.pseudonym(kind, value)

    def _apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        updates: list[pl.Series] = []
        for column, dtype in frame.schema.items():
            if column.endswith("uuid"):
                continue
            kind = self._column_kind(frame, column)
            series = frame[column]
            if dtype == pl.String:
                uniques = series.drop_nulls().unique(maintain_order=True).to_list()
                mapping = {v: self._value(kind, v) for v in uniques}
                updates.append(series.replace_strict(mapping, default=None, return_dtype=pl.String))
            elif dtype == pl.List(pl.String):
                values = series.explode().drop_nulls().unique(maintain_order=True).to_list()
                mapping = {v: self._value(kind, v) for v in values}
                updates.append(
                    pl.Series(
                        column,
                        [
                            None
                            if items is None
                            else [None if i is None else mapping[i] for i in items]
                            for items in series.to_list()
                        ],
                        dtype=pl.List(pl.String),
                    )
                )
        return frame.with_columns(updates) if updates else frame

    @overload
    def redact(self, frame: pl.DataFrame, /) -> pl.DataFrame: ...
    @overload
    def redact(
        self, frame: pl.DataFrame, second: pl.DataFrame, /, *more: pl.DataFrame
    ) -> tuple[pl.DataFrame, ...]: ...
    def redact(self, *frames: pl.DataFrame) -> pl.DataFrame | tuple[pl.DataFrame, ...]:
        """Masked copies of the frames (one frame in, one out; several in, a tuple out).

        Every text column is masked (identifiers, the ``*uuid`` columns, are kept). The
        accounts' own people are numbered first, in row order, then the people named in
        relation fields, then whoever the texts reveal. The input frames are not changed.
        """
        for frame in frames:
            self._learn_identities(frame)
        for frame in frames:
            self._learn_relations(frame)
        masked = tuple(self._apply(frame) for frame in frames)
        return masked[0] if len(masked) == 1 else masked

    # --- what was masked ----------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        """Distinct values masked so far, by category (only those with any), e.g. ``{"names": 3}``.

        Names count people (a full name, a first name and a surname of one person are one),
        e-mails count addresses, phone numbers count numbers.
        """
        return {c: len(values) for c, values in self._masked.items() if values}

    def summary(self) -> str:
        """One line for the top of a redacted report: "Masked: 3 names, 2 e-mails, ...".

        Plain text with only numbers and our words, safe to show as Markdown.
        """
        counts = self.counts
        if not counts:
            return "Masked: no personal data found."
        return "Masked: " + ", ".join(_plural(n, c) for c, n in counts.items()) + "."


def redact(frame: pl.DataFrame, *, redactor: Redactor | None = None) -> pl.DataFrame:
    """Return a copy of ``frame`` with personal data masked.

    Every text column is masked: the account's own values (names, e-mails, phone numbers,
    referral code, photo URL, the people of its relation fields) become pseudonyms ("Person 1",
    ``person1@redacted.invalid``, ``[phone 1]``) wherever they appear, and e-mails, phone
    numbers, NI numbers, postcodes, street addresses, dates of birth, sort codes, account
    numbers, IBANs and card numbers are masked by pattern, whoever they belong to. Pass the
    same ``redactor`` for every frame of one report so a person keeps one pseudonym
    throughout (or call :meth:`Redactor.redact` with all the frames at once, which also learns
    every account before masking any text). The input frame is not changed. Redaction catches
    the usual forms, not every one: a person should still read a report before it leaves the
    firm.

    Parameters
    ----------
    frame : pl.DataFrame
        An executions, steps or accounts frame (any frame with those columns).
    redactor : Redactor, optional
        A :class:`Redactor` shared across frames; a new one when omitted.

    """
    return (redactor or Redactor()).redact(frame)
