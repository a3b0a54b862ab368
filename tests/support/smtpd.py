"""An SMTP server for courant's integration tests (aiosmtpd), on 127.0.0.1.

    python smtpd.py PORT DIR [--reject PREFIX] [--greylist] [--starttls CERT KEY]
                             [--implicit CERT KEY] [--auth USER:PASSWORD] [--hold SECONDS] [--smtputf8]
                             [--size BYTES]

Each accepted message is written to DIR as NNNNN.eml, its envelope sender and recipients on the
first lines (`X-Envelope-From: b@x`, `X-Envelope-To: a, b`) and the client's address and port (one
per connection) on the next (`X-Peer: 127.0.0.1:54321`). Recipients starting with PREFIX get `550 5.1.1 No such user`; with
--greylist every recipient is refused once with `451 4.7.1 Greylisted, try again` and accepted
on the next attempt. With --hold, each message is written at once but its reply waits SECONDS. With --smtputf8 it
offers SMTPUTF8 (RFC 6531).
Prints `ready` when it listens; stops on SIGTERM.
"""
import argparse
import asyncio
import itertools
import pathlib
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Store:
    def __init__(self, directory, reject, greylist, hold):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.reject = reject
        self.greylist = greylist
        self.hold = hold
        self.seen = set()
        self.count = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and address.startswith(self.reject):
            return "550 5.1.1 No such user"
        if self.greylist and address not in self.seen:
            self.seen.add(address)
            return "451 4.7.1 Greylisted, try again"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = self.dir / f"{next(self.count):05d}.eml"
        header = ("X-Envelope-From: " + (envelope.mail_from or "") + "\r\n").encode()
        header += ("X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n").encode()
        header += ("X-Peer: %s:%s\r\n" % session.peer[:2]).encode()
        name.write_bytes(header + envelope.original_content)
        if self.hold:
            await asyncio.sleep(self.hold)
        return "250 2.0.0 Message accepted"


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("dir")
    parser.add_argument("--reject")
    parser.add_argument("--greylist", action="store_true")
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--implicit", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--hold", type=float, default=0)
    parser.add_argument("--smtputf8", action="store_true")
    parser.add_argument("--size", type=int, help="the SIZE it announces and enforces, in bytes")
    args = parser.parse_args()
    # Block the stop signals before aiosmtpd starts its thread, so that sigwait receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})

    options = {"enable_SMTPUTF8": args.smtputf8}
    if args.size:
        options.update(data_size_limit=args.size)
    if args.starttls:
        options.update(tls_context=tls_context(*args.starttls), require_starttls=True)
    if args.implicit:
        options.update(ssl_context=tls_context(*args.implicit))
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = data.login.decode() == user and data.password.decode() == password
            # handled=False: aiosmtpd itself answers 535 to a failed login.
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.starttls or args.implicit))

    store = Store(args.dir, args.reject, args.greylist, args.hold)
    controller = Controller(store, hostname="127.0.0.1", port=args.port, **options)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
