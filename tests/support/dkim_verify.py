"""Verifies the DKIM signature of a message with dkimpy, an independent implementation.

    python dkim_verify.py MESSAGE.eml RECORD

RECORD is a file with the output of `courant dkim record` (zone-file form); its TXT value is
what the DNS lookup of `<selector>._domainkey.<domain>` returns. Prints `pass` and exits 0, or
prints `fail` with dkimpy's reason and exits 1.
"""
import logging
import re
import sys

import dkim


def main():
    message = open(sys.argv[1], "rb").read()
    record = open(sys.argv[2]).read()
    name = record.split()[0].encode()
    value = "".join(re.findall(r'"([^"]*)"', record)).encode()

    def dns(query, timeout=5):
        return value if query == name else None

    logger = logging.getLogger("dkim")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        ok = dkim.DKIM(message, logger=logger).verify(dnsfunc=dns)
    except dkim.DKIMException as error:
        print(f"dkimpy: {error}", file=sys.stderr)
        ok = False
    print("pass" if ok else "fail")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
