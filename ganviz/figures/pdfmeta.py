"""A PDF's volatile metadata made reproducible, so the same figure gives the same bytes.

Qt's PDF writer stamps each file with a random document id and the current time. Here the
id becomes a UUID derived from the file's own content, and with ``SOURCE_DATE_EPOCH`` set
(the reproducible-builds convention: seconds since 1970, UTC) the dates become that time.
Every replacement has the length of what it replaces, so the cross-reference table's byte
offsets stay valid.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid

# the id as Qt writes it: uuid text in the XMP packet, its ASCII in hex twice in /ID
_XMP_ID = re.compile(rb'xmpMM:DocumentID="uuid:([0-9a-f-]{36})"')
# /CreationDate (D:YYYYMMDDHHmmSS then Z or +HH'mm'), and XMP dates (…T…:SS then Z or +HH:mm)
_INFO_DATE = re.compile(rb"\(D:\d{14}(Z|[+-]\d\d'\d\d')\)")
_XMP_DATE = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)"')
_NAMESPACE = uuid.UUID("8a0f3c52-5d0b-4b6e-9a57-6f1f0c2f9e11")  # ganviz's figures
LAST_EPOCH = 253_402_300_799  # 9999-12-31 23:59:59 UTC: a PDF date has four year digits


def reproducible(pdf: bytes, epoch: int | None = None) -> bytes:
    """``pdf`` with its document id derived from its content and, when ``epoch`` is given
    (or ``SOURCE_DATE_EPOCH`` is set), its dates at that time in UTC. A PDF without Qt's
    metadata comes back unchanged."""
    if epoch is None:
        epoch = source_date_epoch()
    if epoch is not None and 0 <= epoch <= LAST_EPOCH:
        pdf = _dated(pdf, epoch)
    return _content_id(pdf)


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as whole seconds, or None when it is unset or not a whole
    number from 0 to ``LAST_EPOCH`` (then the writer's own time stays)."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() and int(value) <= LAST_EPOCH else None


def _dated(pdf: bytes, epoch: int) -> bytes:
    """The info dictionary's and the XMP packet's dates set to ``epoch`` (UTC), each in the
    zone style it had (``Z`` or a zero offset of the same length)."""
    utc = time.gmtime(epoch)

    def info(match: re.Match[bytes]) -> bytes:
        zone = b"Z" if match.group(1) == b"Z" else b"+00'00'"
        return b"(D:" + time.strftime("%Y%m%d%H%M%S", utc).encode() + zone + b")"

    def xmp(match: re.Match[bytes]) -> bytes:
        zone = b"Z" if match.group(1) == b"Z" else b"+00:00"
        return b'"' + time.strftime("%Y-%m-%dT%H:%M:%S", utc).encode() + zone + b'"'

    return _XMP_DATE.sub(xmp, _INFO_DATE.sub(info, pdf))


def _content_id(pdf: bytes) -> bytes:
    """The random document id replaced by a UUID of the content with the id blanked, in the
    XMP packet and in the trailer's /ID."""
    match = _XMP_ID.search(pdf)
    if match is None:
        return pdf
    old = match.group(1)
    blank = b"0" * len(old)
    neutral = _with_id(pdf, old, blank)
    new = str(uuid.uuid5(_NAMESPACE, hashlib.sha256(neutral).hexdigest())).encode()
    return _with_id(neutral, blank, new)


def _with_id(pdf: bytes, old: bytes, new: bytes) -> bytes:
    """``pdf`` with the document id ``old`` written as ``new`` where Qt puts it: after
    ``uuid:`` in the XMP packet, and in hex between angle brackets in /ID."""
    return (pdf.replace(b"uuid:" + old, b"uuid:" + new)
            .replace(b"<" + old.hex().encode() + b">", b"<" + new.hex().encode() + b">"))
