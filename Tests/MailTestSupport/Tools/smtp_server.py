#!/usr/bin/env python3
"""A real SMTP submission server on loopback for the tests: aiosmtpd, with STARTTLS or implicit TLS, AUTH PLAIN,
LOGIN and XOAUTH2, saving each accepted message as DIR/<n>.eml with its envelope in DIR/<n>.json.

  smtp_server.py --dir DIR --cert cert.pem --key key.pem [--tls starttls|implicit|none] [--user U --password P]
                 [--token T] [--fail-rcpt ADDRESS]
Prints "PORT <n>" once it listens; runs until killed.
"""
import argparse, asyncio, base64, json, os, socket, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, SMTP


class Saver:
    def __init__(self, directory, fail_rcpt):
        self.directory, self.count, self.fail_rcpt = directory, 0, fail_rcpt

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.fail_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%d" % self.count)
        with open(base + ".eml", "wb") as fh:
            fh.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as fh:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "login": session.login_data.decode()
                       if isinstance(session.login_data, bytes) else session.login_data}, fh)
        return "250 2.0.0 queued as %d" % self.count

    async def auth_XOAUTH2(self, server, args):
        """RFC-less but documented by Google: base64("user=U\\x01auth=Bearer T\\x01\\x01"); a failure answers 334 with a
        base64 JSON error, waits for an empty line, then 535."""
        blob = args[1] if len(args) > 1 else None
        if blob is None:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if blob is MISSING:
                return AuthResult(success=False, handled=False)
            blob = blob.decode() if isinstance(blob, bytes) else blob
        try:
            fields = base64.b64decode(blob).decode().split("\x01")
            user = fields[0][len("user="):]
            token = fields[1][len("auth=Bearer "):]
        except Exception:
            return AuthResult(success=False, handled=False, message="501 5.5.2 malformed XOAUTH2")
        if token == server.expected_token:
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        error = base64.b64encode(json.dumps({"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}).encode()).decode()
        await server.push("334 " + error)
        await server._reader.readline()
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")


MISSING = object()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--tls", default="starttls")
    p.add_argument("--user", default="alice@our-team.example")
    p.add_argument("--password", default="smtp-pass")
    p.add_argument("--token", default="smtp-token")
    p.add_argument("--fail-rcpt", default="")
    p.add_argument("--port", type=int, default=0, help="listen on this port (0: a free one)")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    class Server(SMTP):
        expected_token = a.token

    class TestController(Controller):
        def factory(self):
            return Server(self.handler, **self.SMTP_kwargs)

    port = a.port
    if port == 0:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
    # aiosmtpd 1.4 does not see TLS it did not negotiate itself (implicit TLS), so only STARTTLS demands it.
    kwargs = dict(authenticator=authenticator, auth_require_tls=a.tls == "starttls", auth_required=True,
                  auth_exclude_mechanism=[])
    if a.tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    controller = TestController(Saver(a.dir, a.fail_rcpt), hostname="127.0.0.1", port=port,
                                ssl_context=context if a.tls == "implicit" else None, server_hostname="localhost",
                                **kwargs)
    controller.start()
    print("PORT %d" % port, flush=True)
    try:
        while True:
            asyncio.run(asyncio.sleep(3600))
    except KeyboardInterrupt:
        controller.stop()


if __name__ == "__main__":
    main()
