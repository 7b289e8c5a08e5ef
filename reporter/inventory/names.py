"""The Kubernetes API's rules for names, label keys and values and named ports.

Each check returns what is wrong (empty when valid), phrased like the API server's messages
(k8s.io/apimachinery/pkg/util/validation).
"""

from __future__ import annotations

import re

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PORT_NAME_CHARS = re.compile(r"[-a-z0-9]+")

_ALPHANUMERIC_ENDS = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character"
)


def dns_label_errors(value: str) -> list[str]:
    """Namespace names (RFC 1123 label)."""
    if len(value) > 63:
        return ["must be no more than 63 characters"]
    if not _DNS_LABEL.fullmatch(value):
        return [
            "must consist of lower case alphanumeric characters or '-', and must start and end "
            "with an alphanumeric character (a DNS label)"
        ]
    return []


def dns_subdomain_errors(value: str) -> list[str]:
    """Most object names and label-key prefixes (RFC 1123 subdomain)."""
    if len(value) > 253:
        return ["must be no more than 253 characters"]
    if not _DNS_SUBDOMAIN.fullmatch(value):
        return [
            "must consist of lower case alphanumeric characters, '-' or '.', and must start "
            "and end with an alphanumeric character (a DNS subdomain)"
        ]
    return []


def label_key_errors(key: str) -> list[str]:
    """A label key: an optional DNS-subdomain prefix and '/', then a name of up to 63."""
    if key.count("/") > 1:
        return ["must be a name with an optional DNS subdomain prefix and one '/'"]
    prefix, slash, name = key.rpartition("/")
    errors: list[str] = []
    if slash:
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {e}" for e in dns_subdomain_errors(prefix)]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME.fullmatch(name):
        errors.append(f"name part {_ALPHANUMERIC_ENDS}")
    return errors


def label_value_errors(value: str) -> list[str]:
    """A label value: empty, or up to 63 characters starting and ending alphanumeric."""
    if len(value) > 63:
        return ["must be no more than 63 characters"]
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return [_ALPHANUMERIC_ENDS]
    return []


def port_name_errors(name: str) -> list[str]:
    """A named port (IANA_SVC_NAME): what containers declare and policies refer to."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.fullmatch(name):
        errors.append("must contain only lower case alphanumeric characters (a-z, 0-9) and '-'")
    if not any("a" <= c <= "z" for c in name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors
