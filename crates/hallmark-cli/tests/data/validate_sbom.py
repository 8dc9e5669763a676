"""Validates SBOMs with the official libraries: CycloneDX JSON against the 1.6 schema
(cyclonedx-python-lib, strict) and SPDX 2.3 JSON with spdx-tools (parse + full validation).

Usage: validate_sbom.py cyclonedx:FILE spdx:FILE ...
Prints one line per file; exits 1 when any file is invalid.
"""
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

failed = False
cyclonedx = JsonStrictValidator(SchemaVersion.V1_6)
for arg in sys.argv[1:]:
    kind, _, path = arg.partition(":")
    if kind == "cyclonedx":
        with open(path, encoding="utf-8") as f:
            error = cyclonedx.validate_str(f.read())
        problems = []
        if error:
            detail = getattr(error, "data", None)
            where = "/".join(str(p) for p in getattr(detail, "absolute_path", []))
            problems = [f"{getattr(detail, 'message', str(error).splitlines()[0])} (at /{where})"]
    elif kind == "spdx":
        try:
            document = parse_file(path)
            problems = [m.validation_message for m in validate_full_spdx_document(document, "SPDX-2.3")]
        except Exception as error:  # a parse error is a validation failure
            problems = [f"cannot parse: {error}"]
    else:
        problems = [f"unknown kind {kind!r}"]
    if problems:
        failed = True
        print(f"INVALID {arg}")
        for problem in problems[:20]:
            print(f"  {problem}")
    else:
        print(f"valid {arg}")
sys.exit(1 if failed else 0)
