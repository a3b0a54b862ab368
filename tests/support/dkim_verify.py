"""Verifies every DKIM signature of a message with dkimpy, an independent implementation.

    python dkim_verify.py MESSAGE.eml RECORD [RECORD ...]

Each RECORD is a file with the output of `courant dkim record` (zone-file form); its TXT value
is what the DNS lookup of `<selector>._domainkey.<domain>` returns. Prints `pass` and exits 0
when every signature verifies (RSA, and Ed25519 through PyNaCl), or prints `fail` with
dkimpy's reason and exits 1.
"""
import logging
import re
import sys

import dkim


def main():
    message = open(sys.argv[1], "rb").read()
    records = {}
    for path in sys.argv[2:]:
        record = open(path).read()
        records[record.split()[0].encode()] = "".join(re.findall(r'"([^"]*)"', record)).encode()

    def dns(query, timeout=5):
        return records.get(query)

    head = message.split(b"\r\n\r\n", 1)[0]
    signatures = len(re.findall(rb"^DKIM-Signature:", head, re.M | re.I))

    logger = logging.getLogger("dkim")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        checker = dkim.DKIM(message, logger=logger)
        ok = signatures > 0 and all(
            checker.verify(idx=i, dnsfunc=dns) for i in range(signatures)
        )
    except dkim.DKIMException as error:
        print(f"dkimpy: {error}", file=sys.stderr)
        ok = False
    print("pass" if ok else "fail")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
