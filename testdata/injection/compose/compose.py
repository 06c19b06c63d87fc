#!/usr/bin/env python3
"""Composes testdata/injection/team-augment.jsonl from the team-written parts in this directory:
code-answer and document texts with and without a planted instruction, and the multilingual
attack/benign texts; and team-augment-r8.jsonl from round 8's mails and error reports (not in
the default training set). Deterministic (seeded); run it again after editing a parts file:

    python3 testdata/injection/compose/compose.py

Every sentence comes from the parts files, which were written for this repository."""

import json
import os
import random

import code_parts as C
import doc_parts as D
import multilingual_parts as M
import record_parts as W

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "team-augment.jsonl")
OUT8 = os.path.join(os.path.dirname(HERE), "team-augment-r8.jsonl")
SEED = 20261204
# Planted copies per round-8 mail or error report, like the earlier parts (three measured too:
# README, round 8).
PLANTED_NEW = 6


def position(n, where):
    """Where a new piece goes among `n` pieces: first, after the middle one, or last."""
    return {"start": 0, "end": n}.get(where, max(1, n // 2))


def insert_at(text, line, where):
    """`line` put into `text` at its start, middle (between lines) or end."""
    lines = text.split("\n")
    k = position(len(lines), where)
    return "\n".join(lines[:k] + [line] + lines[k:])


def code_family(rng, contexts, group, copies=6):
    """Each (question, answer): six copies with a planted directive and harmful snippet, two
    clean copies and two with a harmless snippet an answer might add."""
    out = []
    for ci, (question, answer) in enumerate(contexts):
        for rep in range(copies):
            frame = C.FRAMES[(ci + rep) % len(C.FRAMES)]
            directive = rng.choice(C.DIRECTIVES)
            snippet = rng.choice(C.HARMFUL)
            where = ("start", "middle", "end")[(ci + rep) % 3]
            planted = insert_at(answer, directive + "\n" + snippet, where)
            out.append(("attack", "prompt_injection_indirect", group,
                        frame.format(question=question, answer=planted)))
        # The same context without a plant, and with a harmless snippet an answer might add.
        for rep in range(2):
            frame = C.FRAMES[(ci + rep + 3) % len(C.FRAMES)]
            out.append(("benign", "benign_document", group, frame.format(question=question, answer=answer)))
        for rep in range(2):
            frame = C.FRAMES[(ci + rep + 1) % len(C.FRAMES)]
            extra = rng.choice(C.HARMLESS_INTROS) + "\n" + rng.choice(C.HARMLESS)
            where = ("middle", "end")[rep]
            out.append(("benign", "benign_document", group,
                        frame.format(question=question, answer=insert_at(answer, extra, where))))
    return out


def code_items(rng):
    return code_family(rng, C.CONTEXTS, "team_code")


def doc_family(rng, docs, group, put=insert_at, copies=6):
    """Each (document, question): six copies with a planted instruction, two clean copies and
    two with a request meant for the human reader; `put` places a line in the document."""
    out = []
    for di, (doc, question) in enumerate(docs):
        for rep in range(copies):
            frame = D.FRAMES[(di + rep) % len(D.FRAMES)]
            planted = rng.choice(D.PLANTED)
            where = ("start", "middle", "end")[(di + rep) % 3]
            out.append(("attack", "prompt_injection_indirect", group,
                        frame.format(doc=put(doc, planted, where), question=question)))
        for rep in range(2):
            frame = D.FRAMES[(di + rep + 2) % len(D.FRAMES)]
            out.append(("benign", "benign_document", group, frame.format(doc=doc, question=question)))
        for rep in range(2):
            frame = D.FRAMES[(di + rep + 4) % len(D.FRAMES)]
            human = rng.choice(D.HUMAN_REQUESTS)
            where = ("middle", "end")[rep]
            out.append(("benign", "benign_document", group,
                        frame.format(doc=put(doc, human, where), question=question)))
    return out


def doc_items(rng):
    out = doc_family(rng, D.DOCS, "team_doc")
    for t in D.FOLLOWUPS:
        out.append(("benign", "benign_instruction", "team_followup", t))
    return out


def insert_in_body(mail, line, where):
    """`line` put into the body of a one-line header mail (after "CONTENT: "): before its first
    sentence, after its middle sentence, or after its last, as a sentence of its own."""
    head, body = mail.split("CONTENT: ", 1)
    sentences = body.split(". ")
    k = position(len(sentences), where)
    parts = [x if x.endswith((".", "!", "?")) or i == len(sentences) - 1 else x + "." for i, x in enumerate(sentences)]
    return head + "CONTENT: " + " ".join(parts[:k] + [line] + parts[k:])


def mail_items(rng):
    """Round 8: transactional mails and error reports, planted and clean like the documents and
    code answers above, so the layouts and words of automated mail and of warnings appear on
    both sides."""
    return (doc_family(rng, D.ONELINE_MAILS, "team_mail", put=insert_in_body, copies=PLANTED_NEW)
            + doc_family(rng, D.MAILS, "team_mail", copies=PLANTED_NEW)
            + code_family(rng, C.REPORTS, "team_report", copies=PLANTED_NEW))


def record(rng, domain):
    """One WHOIS-style record for `domain` with fields drawn from the parts lists."""
    registrar, whois, url = rng.choice(W.REGISTRARS)
    ns1, ns2 = rng.choice(W.NAMESERVERS)
    year = rng.randrange(2003, 2024)
    return W.RECORD_TEMPLATE.format(
        domain=domain.upper() if rng.random() < 0.4 else domain,
        rid=f"D{rng.randrange(10**8, 10**9)}-{rng.choice(['EX', 'TST', 'NIC'])}",
        whois=whois, url=url, whois_host=whois.split(".", 1)[1],
        updated=f"{year + 1}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:{rng.randrange(60):02d}:00Z",
        created=f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T08:{rng.randrange(60):02d}:00Z",
        expires=f"{year + rng.randrange(2, 10)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T08:00:00Z",
        registrar=registrar, status=rng.choice(W.STATUSES), org=rng.choice(W.ORGS),
        state=rng.choice(["CA", "Reykjavik", "Bavaria", "Panama", "London", "Ontario"]),
        country=rng.choice(W.COUNTRIES), ns1=ns1, ns2=ns2, dnssec=rng.choice(["unsigned", "signedDelegation"]),
    )


def long_record(rng, domain):
    """A long gTLD record (redacted contact blocks) or a ccTLD-style record for `domain`; the
    field list is one of `plant_fields` so a plant can replace a field value."""
    registrar, whois, url = rng.choice(W.REGISTRARS)
    ns1, ns2 = rng.choice(W.NAMESERVERS)
    year = rng.randrange(2003, 2024)
    updated = f"{year + 1}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:{rng.randrange(60):02d}:00Z"
    if rng.random() < 0.3:
        lines = W.CCTLD_TEMPLATE.format(
            domain=domain, org=rng.choice(W.ORGS), rtype=rng.choice(W.RTYPES), registrar=registrar,
            tag=registrar.split()[0].upper(), url=url, created_d=f"{rng.randrange(1, 29)}-Mar-{year}",
            expires_d=f"{rng.randrange(1, 29)}-Mar-{year + 3}", updated_d=f"{rng.randrange(1, 29)}-Jan-{year + 2}",
            ns1=ns1, ns2=ns2, time=f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
        ).split("\n")
        return lines, [6]
    head = W.LONG_TEMPLATE_HEAD.format(
        domain=domain, rid=f"{rng.randrange(16**20, 16**21):x}-{rng.choice(['EX', 'TST'])}", whois=whois, url=url,
        updated=updated, created=updated.replace(str(year + 1), str(year), 1), expires=updated.replace(str(year + 1), str(year + 3), 1),
        registrar=registrar, iana=rng.randrange(100, 4000), whois_host=whois.split(".", 1)[1],
        phone=rng.randrange(1000000, 9999999), status=rng.choice(W.STATUSES))
    lines = head.split("\n")
    plant_fields = []
    country = rng.choice(W.COUNTRIES)
    for role in ("Registrant", "Admin", "Tech"):
        for field in W.CONTACT_FIELDS:
            key = f"Registry {role} ID" if field == "ID" else f"{role} {field}"
            if field == "Email":
                value = rng.choice(W.CONTACT_EMAIL_NOTES)
            elif role == "Registrant" and field == "Organization":
                value = rng.choice(W.ORGS)
                plant_fields.append(len(lines))
            elif role == "Registrant" and field == "Country":
                value = country
            else:
                value = "REDACTED FOR PRIVACY"
            lines.append(f"{key}: {value}")
    plant_fields.append(len(lines) - 1)
    lines.extend(W.LONG_TEMPLATE_TAIL.format(ns1=ns1, ns2=ns2, dnssec=rng.choice(["unsigned", "signedDelegation"]),
                                             updated=updated).split("\n"))
    return lines, plant_fields


def record_items(rng):
    out = []
    for di, domain in enumerate(W.DOMAINS):
        for rep in range(2):
            frame = W.RECORD_FRAMES[(di + rep) % len(W.RECORD_FRAMES)]
            out.append(("benign", "benign_document", "team_record", frame.format(record=record(rng, domain))))
        frame = W.RECORD_FRAMES[di % len(W.RECORD_FRAMES)]
        lines = record(rng, domain).split("\n")
        field = rng.choice([10, 11, 13])
        key = lines[field].split(":", 1)[0]
        lines[field] = f"{key}: {rng.choice(W.RECORD_PLANTS)}"
        out.append(("attack", "prompt_injection_indirect", "team_record", frame.format(record="\n".join(lines))))
    for di, domain in enumerate(W.DOMAINS):
        frame = W.RECORD_FRAMES[(di + 1) % len(W.RECORD_FRAMES)]
        lines, _ = long_record(rng, domain)
        out.append(("benign", "benign_document", "team_record", frame.format(record="\n".join(lines))))
        if di % 2 == 0:
            lines, fields = long_record(rng, domain)
            k = rng.choice(fields)
            key = lines[k].split(":", 1)[0]
            lines[k] = f"{key}: {rng.choice(W.RECORD_PLANTS)}" if ":" in lines[k] else "        " + rng.choice(W.RECORD_PLANTS)
            out.append(("attack", "prompt_injection_indirect", "team_record", frame.format(record="\n".join(lines))))
    for pi, profile in enumerate(W.PROFILES):
        for rep, frame in enumerate(W.PROFILE_FRAMES):
            out.append(("benign", "benign_document", "team_record", frame.format(profile=profile)))
            if rep < 2:
                where = ("middle", "end")[rep]
                planted = insert_at(profile, W.PROFILE_PLANTS[(pi + rep) % len(W.PROFILE_PLANTS)], where)
                out.append(("attack", "prompt_injection_indirect", "team_record", frame.format(profile=planted)))
    return out


def multilingual_items():
    out = []
    for lang, texts in M.TEXTS.items():
        for t in texts["attack"]:
            out.append(("attack", "prompt_injection_multilingual", "team_multilingual", t, lang))
        for t in M.SECRETS.get(lang, []):
            out.append(("attack", "prompt_injection_multilingual", "team_multilingual", t, lang))
        for t in texts["benign"]:
            out.append(("benign", "benign_multilingual", "team_multilingual", t, lang))
    for lang, texts in list(M.FACTUAL.items()) + list(M.QUESTIONS.items()):
        for t in texts:
            out.append(("benign", "benign_multilingual", "team_factual", t, lang))
    return out


def main():
    rng = random.Random(SEED)
    rows = []
    for label, category, group, text in code_items(rng) + doc_items(rng) + record_items(rng):
        rows.append({"label": label, "category": category, "group": group, "text": text})
    for label, category, group, text, lang in multilingual_items():
        rows.append({"label": label, "category": category, "group": group, "text": text, "lang": lang})
    # Round 8's parts draw from their own generator and go to their own file, which the trainer
    # reads only when asked (`--augment`; measured and not shipped, testdata/injection/README.md).
    rng8 = random.Random(SEED + 8)
    rows8 = []
    for label, category, group, text in mail_items(rng8):
        rows8.append({"label": label, "category": category, "group": group, "text": text})
    counts = {}
    for path, items in ((OUT, rows), (OUT8, rows8)):
        with open(path, "w", encoding="utf-8") as f:
            for r in items:
                key = f"{r['group']}-{r['label'][0]}"
                counts[key] = counts.get(key, 0) + 1
                item = {"id": f"{key}-{counts[key]:03d}", **r}
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"wrote {path}: {len(items)} items")
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
