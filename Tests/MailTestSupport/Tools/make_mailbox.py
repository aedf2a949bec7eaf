#!/usr/bin/env python3
"""Writes a realistic Maildir for the mail sync tests, and a manifest of what a correct reader must see.

Each message is an RFC 5322 file: firms with contacts, names and subjects in UTF-8, KOI8-R, windows-1251 and
ISO-8859-1 (RFC 2047 B and Q, folded, a UTF-8 character split across two encoded words), threads (In-Reply-To and
References), multipart/alternative and multipart/mixed bodies with attachments, the owner as sender of about a
quarter (the Sent folder), newsletters with List-Id, a few messages without Message-ID.

The manifest (JSON lines) holds, per message, what Python's own `email` package decodes from the file: the
truth the Swift decoder is checked against, computed independently of it.

  make_mailbox.py --maildir DIR --count N [--folder INBOX] [--sent-folder Sent] [--owner a@x] [--seed 1]
                  [--manifest m.jsonl] [--chown uid:gid] [--start-index 0] [--new] [--big-every K]
"""
import argparse, base64, email, email.header, email.policy, email.utils, json, os, random, time

FIRST = ["James", "Mary", "John", "Linda", "Robert", "Patricia", "Michael", "Jennifer", "David", "Susan"]
LAST = ["Smith", "Johnson", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Clark", "White"]
NAMES_LATIN1 = ["Jürgen Müller", "Zoë Lefèvre", "François Dupré", "Renée Façade", "José Muñoz"]
NAMES_RU = ["Иван Петров", "Мария Иванова", "Сергей Смирнов", "Ольга Кузнецова", "Дмитрий Попов"]
SUBJECTS = {
    "utf-8": ["Angebot für Q3 – Preisübersicht", "Коммерческое предложение на 2026 год", "見積書の送付について",
              "Oferta especial ñandú 🚀"],
    "koi8-r": ["Счёт на оплату", "Договор поставки", "Встреча в четверг"],
    "windows-1251": ["Привет от отдела продаж", "Согласование цены", "Отгрузка товара"],
    "iso-8859-1": ["Café à Genève - réunion", "Bestätigung Ihrer Bestellung", "Größe und Maße"],
}
WORDS = "quarterly pricing proposal renewal contract invoice meeting demo pilot discount budget quote".split()


def encoded_word(text, charset, b_encoding=True):
    raw = text.encode(charset)
    if b_encoding:
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    out = "".join(chr(b) if (chr(b).isalnum() and b < 128) else "_" if b == 32 else "=%02X" % b for b in raw)
    return "=?%s?Q?%s?=" % (charset, out)


def split_utf8_words(text):
    """Two encoded words that cut one multi-byte UTF-8 character in half: a reader must join their bytes."""
    raw = text.encode("utf-8")
    cut = next(i for i in range(1, len(raw)) if raw[i] & 0xC0 == 0x80)
    return "=?UTF-8?B?%s?=\n =?UTF-8?B?%s?=" % (base64.b64encode(raw[:cut]).decode(), base64.b64encode(raw[cut:]).decode())


def folded(text, charset):
    """A long subject as several encoded words on folded lines, cut on character boundaries."""
    parts, current = [], ""
    for ch in text:
        if len((current + ch).encode(charset)) > 30:
            parts.append(current)
            current = ch
        else:
            current += ch
    parts.append(current)
    return "\n ".join(encoded_word(p, charset) for p in parts if p)


def make_subject(rnd):
    r = rnd.random()
    if r < 0.35:
        return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 6))).capitalize()
    charset = rnd.choice(list(SUBJECTS))
    text = rnd.choice(SUBJECTS[charset])
    if charset == "utf-8" and r < 0.45:
        return split_utf8_words(text)
    if r < 0.6:
        return folded(text, charset)
    return encoded_word(text, charset, b_encoding=rnd.random() < 0.5)


def format_address(rnd, name, address):
    if all(ord(c) < 128 for c in name):
        words = name.split(" ", 1)
        if len(words) == 2 and rnd.random() < 0.1:
            return '"%s, %s" <%s>' % (words[1], words[0], address)  # a comma inside a quoted name
        return "%s <%s>" % (name, address)
    if any("\u0400" <= c <= "\u04ff" for c in name):
        charset = rnd.choice(["UTF-8", "KOI8-R", "windows-1251"])
    else:
        charset = rnd.choice(["UTF-8", "ISO-8859-1"])
    return "%s <%s>" % (encoded_word(name, charset, rnd.random() < 0.6), address)


def body(rnd, big):
    text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 80))) + "\nGrüße\n"
    if rnd.random() < 0.35 and not big:
        return "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n", text, text
    b1 = "=_alt_%08x" % rnd.getrandbits(32)
    alt = ("--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n--%s\n"
           "Content-Type: text/html; charset=utf-8\n\n<p>%s</p>\n--%s--\n" % (b1, text, b1, text, b1))
    if rnd.random() < 0.6 and not big:
        return "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"%s\"\n" % b1, alt, text
    b2 = "=_mix_%08x" % rnd.getrandbits(32)
    size = rnd.randint(18_000_000, 21_000_000) if big else rnd.randint(2_000, 20_000)
    payload = base64.encodebytes(rnd.randbytes(size)).decode()
    return ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n" % b2,
            "--%s\nContent-Type: multipart/alternative; boundary=\"%s\"\n\n%s\n--%s\nContent-Type: application/pdf; "
            "name=\"offer.pdf\"\nContent-Transfer-Encoding: base64\n\n%s--%s--\n" % (b2, b1, alt, b2, payload, b2), text)


def folder_path(maildir, name):
    path = maildir if name == "INBOX" else os.path.join(maildir, "." + name.replace("/", "."))
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    if name != "INBOX":
        open(os.path.join(path, "maildirfolder"), "a").close()
    return path


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--folder", default="INBOX")
    p.add_argument("--sent-folder", default="Sent")
    p.add_argument("--owner", default="alice@our-team.example")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--manifest")
    p.add_argument("--chown")
    p.add_argument("--start-index", type=int, default=0)
    p.add_argument("--new", action="store_true", help="deliver through tmp/ into new/, as an MTA does (wakes IDLE)")
    p.add_argument("--big-every", type=int, default=0)
    p.add_argument("--received-only", action="store_true", help="no sent mail: everything lands in --folder")
    a = p.parse_args()
    rnd = random.Random(a.seed)
    firms = []
    for i in range(60):
        domain = "%s%d.%s" % (rnd.choice(["acme", "globex", "initech", "umbrella", "hooli"]), i, rnd.choice(["com", "de", "ru"]))
        people = []
        for _ in range(rnd.randint(1, 6)):
            r = rnd.random()
            name = rnd.choice(NAMES_RU) if r < 0.25 else rnd.choice(NAMES_LATIN1) if r < 0.45 else "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
            people.append((name, "p%d@%s" % (rnd.randint(1, 99999), domain)))
        firms.append(people)
    chown = tuple(int(x) for x in a.chown.split(":")) if a.chown else None
    manifest = open(a.manifest, "a") if a.manifest else None
    now = int(time.time())
    threads = []
    for n in range(a.start_index, a.start_index + a.count):
        ts = now - (a.start_index + a.count - n) * 600
        people = rnd.choice(firms)
        contact = rnd.choice(people)
        bulk = rnd.random() < 0.05
        sent = not bulk and rnd.random() < 0.25 and not a.received_only
        if bulk:
            sender = ("News", "news@letters.example")
        else:
            sender = ("Alice Sales", a.owner) if sent else contact
        to = [contact] if sent else [("Alice Sales", a.owner)]
        headers = ["Date: " + email.utils.formatdate(ts, localtime=False),
                   "From: " + format_address(rnd, *sender),
                   "To: " + ",\n ".join(format_address(rnd, *t) for t in to)]
        if rnd.random() < 0.25:
            headers.append("Cc: " + format_address(rnd, *rnd.choice(people)))
        if threads and rnd.random() < 0.3:
            subject_raw, chain = rnd.choice(threads[-50:])
            subject_raw = "Re: " + subject_raw
        else:
            subject_raw, chain = make_subject(rnd), []
        headers.append("Subject: " + subject_raw)
        message_id = "<%d.%d@%s>" % (ts, n, sender[1].split("@")[1]) if rnd.random() > 0.01 else None
        if message_id:
            headers.append("Message-ID: " + message_id)
        if chain:
            headers.append("In-Reply-To: " + chain[-1])
            headers.append("References: " + "\n ".join(chain[-8:]))
        if bulk:
            headers.append("List-Id: <offers.letters.example>")
            headers.append("Precedence: bulk")
        big = a.big_every and n % a.big_every == a.big_every - 1
        mime, text, plain = body(rnd, big)
        data = ("\n".join(headers) + "\n" + mime + "\n" + text).encode("utf-8")
        if message_id:
            if chain:
                chain.append(message_id)
            else:
                threads.append((subject_raw if "\n" not in subject_raw else "thread %d" % n, [message_id]))
        folder = folder_path(a.maildir, a.sent_folder if sent else a.folder)
        name = "%d.M%dP%d.mailgen,S=%d:2,%s" % (ts, n, os.getpid(), len(data), "S")
        if a.new:
            tmp = os.path.join(folder, "tmp", name.split(":")[0])
            with open(tmp, "wb") as fh:
                fh.write(data)
            if chown:
                os.chown(tmp, *chown)
            os.rename(tmp, os.path.join(folder, "new", name.split(":")[0]))
        else:
            path = os.path.join(folder, "cur", name)
            with open(path, "wb") as fh:
                fh.write(data)
            os.utime(path, (ts, ts))
            if chown:
                os.chown(path, *chown)
        if manifest:
            parsed = email.message_from_bytes(data, policy=email.policy.default)
            manifest.write(json.dumps({
                "index": n, "messageId": message_id, "sent": sent, "bulk": bulk,
                "subject": str(parsed["Subject"]), "from": email.utils.parseaddr(str(parsed["From"]))[1].lower(),
                "fromName": email.utils.parseaddr(str(parsed["From"]))[0],
                "inReplyTo": chain[-2] if chain and len(chain) > 1 else None,
                "text": plain,
            }, ensure_ascii=False) + "\n")
    if chown:
        for root, dirs, _ in os.walk(a.maildir):
            for d in dirs:
                os.chown(os.path.join(root, d), *chown)
        os.chown(a.maildir, *chown)


if __name__ == "__main__":
    main()
