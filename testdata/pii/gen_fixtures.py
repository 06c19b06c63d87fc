#!/usr/bin/env python3
"""Writes the detector fixtures in this directory (one ``<family>.jsonl`` per detector family).

Deterministic (fixed seed, stdlib only): values with checksums (Luhn, mod-97, CRC32, JWT
headers) are computed here rather than typed by hand. Run it after changing a case; review the
diff. ``known-gaps.jsonl`` is maintained by hand and not written by this script.
"""
import json, random, base64, zlib, string
random.seed(7)
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
def b62(n, w=6):
    s = ''
    for _ in range(w):
        s = B62[n % 62] + s; n //= 62
    return s
def rnd(alpha, n): return ''.join(random.choice(alpha) for _ in range(n))
AN = string.ascii_letters + string.digits
HEX = '0123456789abcdef'
B64U = AN + '_-'
def luhn_complete(prefix, length):
    body = prefix + rnd(string.digits, length - len(prefix) - 1)
    for d in '0123456789':
        s = body + d
        tot = 0
        for i, c in enumerate(reversed(s)):
            v = int(c)
            if i % 2 == 1:
                v *= 2
                if v > 9: v -= 9
            tot += v
        if tot % 10 == 0: return s
def luhn_bad(s):
    last = str((int(s[-1]) + 3) % 10)
    return s[:-1] + last
def iban(cc, bban):
    r = bban + cc + '00'
    num = ''.join(str(int(c, 36)) for c in r)
    chk = 98 - int(num) % 97
    return f"{cc}{chk:02d}{bban}"
def grp(s, sep=' '):
    return sep.join(s[i:i+4] for i in range(0, len(s), 4))
def jwt(header, payload):
    e = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(',', ':')).encode()).rstrip(b'=').decode()
    return e(header) + '.' + e(payload) + '.' + rnd(B64U, 43)
files = {}
def case(f, name, text, expect):
    files.setdefault(f, []).append({"name": name, "text": text, "expect": [{"type": t, "value": v} for t, v in expect]})

# cards
v16 = luhn_complete('4', 16); mc = luhn_complete('5425', 16); amex = luhn_complete('37', 15); din = luhn_complete('36', 14)
disc = luhn_complete('6011', 16); jcb = luhn_complete('3530', 16); up = luhn_complete('62', 19); mae = luhn_complete('6759', 12)
mc2 = luhn_complete('2223', 16)
case('cards', 'visa contiguous', f"card {v16} exp 04/27", [('CREDIT_CARD', v16)])
case('cards', 'visa spaced', f"Visa: {grp(v16)}.", [('CREDIT_CARD', grp(v16))])
case('cards', 'mastercard hyphens', f"pay with {grp(mc,'-')} please", [('CREDIT_CARD', grp(mc,'-'))])
case('cards', 'mastercard 2-series', f"new range {mc2}", [('CREDIT_CARD', mc2)])
case('cards', 'amex 4-6-5', f"Amex {amex[:4]} {amex[4:10]} {amex[10:]}", [('CREDIT_CARD', f"{amex[:4]} {amex[4:10]} {amex[10:]}")])
case('cards', 'diners 4-6-4', f"Diners {din[:4]}-{din[4:10]}-{din[10:]}", [('CREDIT_CARD', f"{din[:4]}-{din[4:10]}-{din[10:]}")])
case('cards', 'discover nbsp', f"Discover {grp(disc, chr(0xa0))} ok", [('CREDIT_CARD', grp(disc, chr(0xa0)))])
case('cards', 'jcb csv field', f"id,card\n7,{jcb},2024-01-02", [('CREDIT_CARD', jcb)])
case('cards', 'unionpay 19 4-4-4-4-3', f"银联卡 {up[:4]} {up[4:8]} {up[8:12]} {up[12:16]} {up[16:]} 已绑定", [('CREDIT_CARD', f"{up[:4]} {up[4:8]} {up[8:12]} {up[12:16]} {up[16:]}")])
case('cards', 'maestro 12', f"maestro {mae}", [('CREDIT_CARD', mae)])
case('cards', 'test pan counts', "test card 4111 1111 1111 1111", [('CREDIT_CARD', '4111 1111 1111 1111')])
case('cards', 'luhn failure', f"card {luhn_bad(v16)}", [])
case('cards', 'imei is not a card', f"IMEI: {luhn_complete('35', 15)}", [])
case('cards', 'luhn-valid wrong prefix', f"loyalty no. {luhn_complete('99', 16)}", [])
case('cards', 'last four alone', "card ending in 4242", [])
case('cards', 'inside a longer number', f"ref {v16}7", [])
case('cards', 'decimal', f"amount {v16}.50", [])
case('cards', 'mixed separators', f"{v16[:4]} {v16[4:8]}-{v16[8:12]} {v16[12:]}", [])

# ssn
case('ssn', 'dashed', "SSN 123-45-6789 on file", [('US_SSN', '123-45-6789')])
case('ssn', 'spaced', "social: 219 09 9999.", [('US_SSN', '219 09 9999')])
case('ssn', 'labelled nine digits', "ssn=078051121", [('US_SSN', '078051121')])
case('ssn', 'social security label', "Social Security number 536901234", [('US_SSN', '536901234')])
case('ssn', 'bare nine digits', "order 536901234 shipped", [])
case('ssn', 'area 000', "SSN 000-12-3456", [])
case('ssn', 'area 666', "SSN 666-12-3456", [])
case('ssn', 'itin range', "SSN 912-70-1234", [])
case('ssn', 'group 00', "SSN 123-00-4567", [])
case('ssn', 'serial 0000', "SSN 123-45-0000", [])
case('ssn', 'mixed separators', "SSN 123-45 6789", [])
case('ssn', 'date-like', "on 2024-03-04 at noon", [])

# phone
for name, v in [('nanp parens', '(415) 555-0132'), ('nanp dashes', '415-555-0132'), ('nanp dots', '212.555.0177'),
                 ('nanp spaces', '646 555 0199'), ('nanp with 1', '1-800-555-0100'), ('plus one compact', '+14155550132'),
                 ('plus one parens', '+1 (415) 555-0132'), ('toll free', '888-555-0111'), ('uk', '+44 20 7946 0958'),
                 ('germany', '+49 30 901820'), ('france', '+33 1 42 68 53 00'), ('double zero', '0049 89 1234567'),
                 ('japan hyphens', '+81 3-1234-5678'), ('brazil mobile', '+55 11 91234-5678'), ('india', '+91 98765 43210'),
                 ('italy leading zero', '+39 06 1234 5678'), ('australia compact', '+61291234567')]:
    case('phone', name, f"call me at {v} tomorrow", [('PHONE', v)])
case('phone', 'extension excluded', "Tel: (415) 555-0132 ext. 204", [('PHONE', '(415) 555-0132')])
case('phone', 'cjk around', "電話：+81 3-1234-5678。", [('PHONE', '+81 3-1234-5678')])
for name, v in [('area starts with 1', '(123) 456-7890'), ('area 555', '555-555-1234'), ('N11 area', '411-555-0100'),
                ('exchange starts 0', '415-055-0100'), ('too short intl', '+1 415 555 01'), ('too long germany', '+49 30 12345678901234'),
                ('unknown country', '+999 1234 5678'), ('date', '2024-10-09'), ('order number', '112-4829305-3381327'),
                ('isbn', 'ISBN 978-3-16-148410-0'), ('version', 'v1.2.3'),
                ('bare ten digits', 'ticket 4155550132')]:
    case('phone', name, f"value {v} here", [])

# iban
de = iban('DE', '370400440532013000'); gb = iban('GB', 'NWBK60161331926819'); be = 'BE68539007547034'
fr = 'FR1420041010050500013M02606'; es = 'ES9121000418450200051332'; no = 'NO9386011117947'
nl = iban('NL', 'ABNA0417164300'); ch = iban('CH', '0483' + '0000000012345')
for name, v in [('germany compact', de), ('uk grouped', grp(gb)), ('belgium national check', be), ('france rib key', fr),
                ('spain control digits', es), ('norway mod11', no), ('netherlands', nl)]:
    case('iban', name, f"IBAN: {v}, BIC follows", [('IBAN', v)])
case('iban', 'bad check digits', f"IBAN {de[:2]}{(int(de[2:4])+1)%100:02d}{de[4:]}", [])
case('iban', 'bic', "BIC DEUTDEFFXXX", [])
case('iban', 'wrong length', f"IBAN {de}0", [])
case('iban', 'belgium bad national check', "IBAN " + iban('BE', '539007547035'), [])
case('iban', 'unknown country', "IBAN " + iban('QQ', '12345678901234'), [])

# ip
for name, text, val in [('private', 'host 10.0.0.12 is up', '10.0.0.12'), ('host port', 'connect 192.168.1.20:8080', '192.168.1.20'),
                        ('cidr', 'route 172.16.0.0/12 via', '172.16.0.0'), ('in url', 'GET http://203.0.113.9/x', '203.0.113.9'),
                        ('cgnat', 'peer 100.64.1.1', '100.64.1.1')]:
    case('ip', name, text, [('IPV4', val)])
for name, text in [('loopback', 'bind 127.0.0.1'), ('any', 'listen 0.0.0.0:80'), ('broadcast', 'to 255.255.255.255'),
                   ('octet over 255', 'ip 256.1.1.300'), ('leading zero', 'ip 010.1.1.1'), ('version word', 'version 4.2.1.0'),
                   ('pip pin', 'requests==2.31.0.1'), ('oid', 'OID 1.3.6.1.4.1.311'), ('release heading', '### 5.13.2.100 (2023-01-22)'),
                   ('five parts', 'ip 1.2.3.4.5')]:
    case('ip', name, text, [])
for name, v in [('full', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'), ('compressed', '2001:db8::1'), ('link local', 'fe80::1ff:fe23:4567:890a'),
                ('upper', '2001:DB8:0:0:8:800:200C:417A'), ('mapped v4', '::ffff:192.0.2.7'), ('trailing compression', '2001:db8:5::')]:
    case('ip', 'ipv6 ' + name, f"addr {v} ok", [('IPV6', v)])
case('ip', 'ipv6 bracketed with port', "http://[2001:db8::7]:8443/", [('IPV6', '2001:db8::7')])
case('ip', 'ipv6 zone excluded', "ping fe80::1%eth0", [('IPV6', 'fe80::1')])
case('ip', 'ipv6 end of sentence', "the address is 2001:db8::42.", [('IPV6', '2001:db8::42')])
for name, text in [('unspecified', 'bind :: now'), ('loopback', 'bind ::1 now'), ('cpp scope', 'use std::chrono::seconds'),
                   ('rust path', 'call crate::util::run'), ('hex-only scope', 'Abc::Def::beef'), ('arn', 'arn:aws:iam::123456789012:role/x'),
                   ('time', 'at 12:34:56 today'), ('double compression', '2001:db8::1::2'), ('too many groups', '1:2:3:4:5:6:7:8:9'),
                   ('group too long', '2001:db8::12345')]:
    case('ip', 'ipv6 ' + name, text, [])

# mac
for name, v in [('colon lower', '00:1a:2b:3c:4d:5e'), ('colon upper', 'AC:DE:48:00:11:22'), ('hyphen', '00-1A-2B-3C-4D-5E'), ('cisco dotted', '0011.2233.4455')]:
    case('mac', name, f"mac {v} seen", [('MAC_ADDRESS', v)])
for name, text in [('broadcast', 'dst ff:ff:ff:ff:ff:ff'), ('zero', 'mac 00:00:00:00:00:00'), ('fingerprint', 'fp 43:51:43:a1:b5:fc:8b:b7:0a:3a:a9:b1:0f:66:73:a8'),
                   ('uuid', 'id 3d69c750-01e5-42ee-a303-aa60e4ff8d61'), ('seven octets', 'x 00:1a:2b:3c:4d:5e:6f')]:
    case('mac', name, text, [])

# email
for name, text, v in [('plain', 'mail jane.doe@acme-corp.com now', 'jane.doe@acme-corp.com'), ('plus tag', '<ops+alerts@example.io>', 'ops+alerts@example.io'),
                      ('mailto', 'mailto:sales@example.org', 'sales@example.org'), ('idn', 'schreib an jörg@bücher.de bitte', 'jörg@bücher.de')]:
    case('email', name, text, [('EMAIL', v)])
for name, text in [('retina asset', 'logo@2x.png'), ('npm scope', 'npm i @types/node'), ('pkg version', 'pip install pkg@1.2.3'),
                   ('no dotted domain', 'deploy@web-01'), ('localhost', 'dev@localhost'), ('ssh remote', 'git@github.com:org/repo.git'),
                   ('url user', 'https://user@host.example.com/x')]:
    case('email', name, text, [])

# url credentials
for name, v in [('postgres', 'postgres://app:s3cr3t-Pw@db.internal:5432/prod'), ('empty user', 'redis://:hunter2pass@cache:6379/0'),
                ('percent encoded', 'mongodb+srv://svc:p%40ss%23word@cluster0.ab12c.mongodb.net/app?retryWrites=true'),
                ('https', 'https://ci:Tok3n!value@git.example.com/org/repo.git'), ('ipv6 host', 'amqp://guest:Gu3st-pw@[2001:db8::5]:5672/')]:
    case('url_credentials', name, f"DATABASE_URL={v}", [('URL_CREDENTIALS', v)])
case('url_credentials', 'sentence end', "it is postgres://a:b1c2d3@h/db.", [('URL_CREDENTIALS', 'postgres://a:b1c2d3@h/db')])
for name, text in [('no password', 'ssh://git@github.com/acme/infra.git'), ('angle placeholder', 'postgres://user:<password>@localhost/app'),
                   ('env reference', 'mysql://root:${MYSQL_ROOT_PASSWORD}@db:3306/app'), ('masked', 'amqp://guest:****@rabbitmq:5672/'),
                   ('template', 'redis://:{{ .Values.redis.password }}@redis:6379/0'), ('literal word', 'postgres://user:password@localhost/app')]:
    case('url_credentials', name, text, [])

# password
for name, text, v in [('env', 'DB_PASSWORD=Tr0ub4dor&3', 'Tr0ub4dor&3'), ('quoted python', 'smtp_password = "gl4ss-Onion"', 'gl4ss-Onion'),
                      ('json', '{"password": "N0t-s0-secret"}', 'N0t-s0-secret'), ('yaml', 'admin_password: Wint3r#2024', 'Wint3r#2024'),
                      ('camel case', 'const dbPassword = \'m3adow!\';', 'm3adow!'), ('pgpassword', "PGPASSWORD='ph0enix' psql -h db", 'ph0enix'),
                      ('xml element', '<password>Qu4rtz-88</password>', 'Qu4rtz-88'), ('ado connection string', 'Server=db;User Id=sa;Password=Sup3r$ecret;', 'Sup3r$ecret'),
                      ('mysql -p', "mysql -u root -p'R00tPw!' shop", 'R00tPw!'), ('curl -u', 'curl -u admin:Adm1nPw! https://api.example.com', 'Adm1nPw!'),
                      ('prose is', 'my password is Willow1874! btw', 'Willow1874!'), ('wifi', 'the wifi password is coffee-shop-42', 'coffee-shop-42'),
                      ('login with', 'login with admin / Marble1072^ then change it', 'Marble1072^'), ('label then colon', 'pw for the shared mailbox: Raven21+', 'Raven21+'),
                      ('german', 'Kennwort: Sommer2024!', 'Sommer2024!'), ('french', 'mot de passe : Soleil-2024', 'Soleil-2024'),
                      ('spanish', 'contraseña: Verano#2024', 'Verano#2024'), ('rabbitmq pass', 'RABBITMQ_DEFAULT_PASS=q9Zr!x2', 'q9Zr!x2')]:
    case('password', name, text, [('PASSWORD', v)])
for name, text in [('env reference', 'DB_PASSWORD=${DB_PASSWORD}'), ('os environ', 'password = os.environ["DB_PASSWORD"]'),
                   ('helm template', 'password: {{ .Values.db.password }}'), ('vault', 'password: $(vault kv get -field=password secret/db)'),
                   ('stars', 'DB_PASSWORD="********"'), ('your password here', "DB_PASSWORD='YOUR_PASSWORD_HERE'"), ('angle', 'password: <password>'),
                   ('prose about passwords', 'your password is required to continue'), ('bypass', 'bypass=true'), ('compass', 'compass: north'),
                   ('passport', 'passport: X1234567'), ('comparison', 'if password == expected:'), ('type annotation', 'password: str')]:
    case('password', name, text, [])

# jwt
tok = jwt({"alg": "HS256", "typ": "JWT"}, {"sub": "1234", "name": "Jane", "iat": 1700000000})
tok_rs = jwt({"alg": "RS256", "kid": "k1"}, {"sub": "u-9", "email": "a@b.example"})
case('jwt', 'bearer header', f"Authorization: Bearer {tok}", [('JWT', tok)])
case('jwt', 'json value', f'{{"token":"{tok_rs}"}}', [('JWT', tok_rs)])
case('jwt', 'cookie', f"Set-Cookie: session={tok}; Path=/; HttpOnly", [('JWT', tok)])
case('jwt', 'truncated', "token starts with eyJhbGciOiJIUzI1NiIs...", [])
case('jwt', 'template', "header.<payload>.<signature>", [])
nohdr = base64.urlsafe_b64encode(b'{"typ":"JWT"}').rstrip(b'=').decode() + '.' + tok.split('.')[1] + '.' + rnd(B64U, 43)
case('jwt', 'header without alg', f"t={nohdr}", [])

# pem
body = '\n'.join(rnd(AN + '+/', 64) for _ in range(4)) + '\n' + rnd(AN + '+/', 20) + '=='
pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
case('private_key', 'lf', f"key:\n{pem}\nend", [('PRIVATE_KEY', pem)])
crlf = pem.replace('\n', '\r\n')
case('private_key', 'crlf', f"key:\r\n{crlf}\r\n", [('PRIVATE_KEY', crlf)])
ind = pem.replace('\n', '\n    ')
case('private_key', 'yaml indented', f"tls:\n  key: |\n    {ind}\n  other: 1", [('PRIVATE_KEY', ind)])
esc = pem.replace('\n', '\\n').replace('RSA PRIVATE', 'PRIVATE')
case('private_key', 'escaped in json', f'{{"private_key": "{esc}\\n", "x": 1}}', [('PRIVATE_KEY', esc)])
oss = pem.replace('RSA PRIVATE', 'OPENSSH PRIVATE')
case('private_key', 'openssh', oss, [('PRIVATE_KEY', oss)])
pgp = f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{body}\n-----END PGP PRIVATE KEY BLOCK-----"
case('private_key', 'pgp', pgp, [('PRIVATE_KEY', pgp)])
case('private_key', 'public key', pem.replace('RSA PRIVATE KEY', 'PUBLIC KEY'), [])
case('private_key', 'certificate', pem.replace('RSA PRIVATE KEY', 'CERTIFICATE'), [])
case('private_key', 'elided body', "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", [])
case('private_key', 'mismatched end', pem.replace('END RSA', 'END EC'), [])

# corpus token types
def gh(prefix):
    d = rnd(AN, 30); return prefix + d + b62(zlib.crc32(d.encode()))
g = gh('ghp_'); g2 = gh('ghs_')
case('tokens', 'github classic', f"token: {g}", [('GITHUB_TOKEN', g)])
case('tokens', 'github server', f"GH_TOKEN={g2}", [('GITHUB_TOKEN', g2)])
case('tokens', 'github bad crc', f"token: {g[:-1]}{'A' if g[-1] != 'A' else 'B'}", [])
case('tokens', 'github placeholder', "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", [])
ak = 'AKIA' + rnd('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)
case('tokens', 'aws key id', f"aws_access_key_id = {ak}", [('AWS_ACCESS_KEY_ID', ak)])
case('tokens', 'aws docs example', "AKIAIOSFODNN7EXAMPLE", [])
sk = rnd(AN + '/+', 40)
case('tokens', 'aws secret field', f"aws_secret_access_key = {sk}", [('AWS_SECRET_ACCESS_KEY', sk)])
case('tokens', 'aws secret prose', f"the secret access key for that user is {sk}", [('AWS_SECRET_ACCESS_KEY', sk)])
case('tokens', 'aws secret csv', f"User name,Password,Access key ID,Secret access key\nci,,{ak},{sk}\n", [('AWS_ACCESS_KEY_ID', ak), ('AWS_SECRET_ACCESS_KEY', sk)])
case('tokens', 'aws secret docs example', "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", [])
case('tokens', 'git sha is not a secret', "commit " + rnd(HEX, 40), [])
xb = f"xoxb-{rnd(string.digits, 12)}-{rnd(string.digits, 13)}-{rnd(AN, 24)}"
case('tokens', 'slack bot', f"SLACK_TOKEN={xb}", [('SLACK_TOKEN', xb)])
hook = f"https://hooks.slack.com/services/T{rnd(string.ascii_uppercase + string.digits, 8)}/B{rnd(string.ascii_uppercase + string.digits, 10)}/{rnd(AN, 24)}"
case('tokens', 'slack webhook', f"webhook: {hook}", [('SLACK_TOKEN', hook)])
case('tokens', 'slack placeholder', "xoxb-your-bot-token", [])
st = 'sk_live_' + rnd(AN, 24)
case('tokens', 'stripe secret', f"stripe.api_key = '{st}'", [('STRIPE_KEY', st)])
case('tokens', 'stripe publishable', 'pk_live_' + rnd(AN, 24), [])
oa = 'sk-proj-' + rnd(B64U, 58) + 'T3BlbkFJ' + rnd(B64U, 58)
case('tokens', 'openai project', f"OPENAI_API_KEY={oa}", [('OPENAI_API_KEY', oa)])
oal = 'sk-' + rnd(AN, 20) + 'T3BlbkFJ' + rnd(AN, 20)
case('tokens', 'openai legacy', f"key {oal}", [('OPENAI_API_KEY', oal)])
case('tokens', 'openai placeholder', "sk-proj-XXXXXXXXXXXXXXXX", [])
an = 'sk-ant-api03-' + rnd(B64U, 93) + 'AA'
case('tokens', 'anthropic', f"x-api-key: {an}", [('ANTHROPIC_API_KEY', an)])
case('tokens', 'anthropic truncated', "sk-ant-api03-xxxxxxxx", [])
gk = 'AIza' + rnd(B64U, 35)
case('tokens', 'google in query', f"https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key={gk}", [('GOOGLE_API_KEY', gk)])
case('tokens', 'google filler', "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", [])

# vendors
def npm():
    d = rnd(AN, 30); return 'npm_' + d + b62(zlib.crc32(d.encode()))
gl = 'glpat-' + rnd(B64U, 20)
case('vendors', 'gitlab pat', f"GITLAB_TOKEN={gl}", [('GITLAB_TOKEN', gl)])
gl2 = 'glpat-' + rnd(B64U, 27) + '.01.' + rnd(AN, 9)
case('vendors', 'gitlab routable', f"token: {gl2}.", [('GITLAB_TOKEN', gl2)])
case('vendors', 'gitlab placeholder', "glpat-xxxxxxxxxxxxxxxxxxxx", [])
case('vendors', 'gitlab too short', "glpat-abc123", [])
# A prefix inside a longer run of the token alphabet belongs to that run (redaction stays
# idempotent: see vendors.rs `body`).
case('vendors', 'gitlab prefix inside a longer run', f"x-{gl}", [])
case('vendors', 'gitlab after a diff dash', f"-{gl}\n", [('GITLAB_TOKEN', gl)])
n = npm()
case('vendors', 'npm', f"//registry.npmjs.org/:_authToken={n}", [('NPM_TOKEN', n)])
case('vendors', 'npm bad checksum', f"{n[:-1]}{'A' if n[-1] != 'A' else 'B'}", [])
py = 'pypi-AgEIcHlwaS5vcmc' + rnd(B64U, 140)
case('vendors', 'pypi', f"password = {py}", [('PYPI_TOKEN', py)])
case('vendors', 'pypi prefix only', "tokens start with pypi-AgEIcHlwaS5vcmc...", [])
hf = 'hf_' + rnd(string.ascii_letters, 34)
case('vendors', 'huggingface', f"HF_TOKEN={hf}", [('HUGGINGFACE_TOKEN', hf)])
case('vendors', 'huggingface placeholder', "HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", [])
case('vendors', 'hf_ identifier', "call hf_hub_download(repo_id)", [])
az = base64.b64encode(bytes(random.randrange(256) for _ in range(64))).decode()
case('vendors', 'azure account key', f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={az};EndpointSuffix=core.windows.net", [('AZURE_STORAGE_KEY', az)])
case('vendors', 'azure placeholder', "AccountKey=<your-account-key>;", [])
tw = 'SK' + rnd(HEX, 32)
case('vendors', 'twilio api key', f"TWILIO_API_KEY={tw}", [('TWILIO_API_KEY', tw)])
case('vendors', 'twilio upper hex', 'SK' + rnd('0123456789ABCDEF', 32), [])
sg = 'SG.' + rnd(B64U, 22) + '.' + rnd(B64U, 43)
case('vendors', 'sendgrid', f"SENDGRID_API_KEY='{sg}'", [('SENDGRID_API_KEY', sg)])
case('vendors', 'sendgrid short', "SG.abc.def", [])
dd = rnd(HEX, 32)
case('vendors', 'datadog env', f"DD_API_KEY={dd}", [('DATADOG_API_KEY', dd)])
case('vendors', 'datadog yaml', f'  dd_api_key: "{dd}"', [('DATADOG_API_KEY', dd)])
case('vendors', 'md5 without context', f"md5 {dd}", [])
sh = 'shpat_' + rnd(HEX, 32)
case('vendors', 'shopify', f"X-Shopify-Access-Token: {sh}", [('SHOPIFY_TOKEN', sh)])
do = 'dop_v1_' + rnd(HEX, 64)
case('vendors', 'digitalocean', f"DIGITALOCEAN_TOKEN={do}", [('DIGITALOCEAN_TOKEN', do)])
case('vendors', 'digitalocean short', 'dop_v1_' + rnd(HEX, 40), [])
pm = 'PMAK-' + rnd(HEX, 24) + '-' + rnd(HEX, 34)
case('vendors', 'postman', f"x-api-key: {pm}", [('POSTMAN_API_KEY', pm)])
gq = 'gsk_' + rnd(AN, 52)
case('vendors', 'groq', f"GROQ_API_KEY={gq}", [('GROQ_API_KEY', gq)])
case('vendors', 'groq placeholder', "gsk_...", [])
ln = 'lin_api_' + rnd(AN, 40)
case('vendors', 'linear', f"Authorization: {ln}", [('LINEAR_API_KEY', ln)])
r8 = 'r8_' + rnd(AN, 37)
while not (any(c.isdigit() for c in r8[3:]) and any(c.isupper() for c in r8[3:]) and any(c.islower() for c in r8[3:])):
    r8 = 'r8_' + rnd(AN, 37)
case('vendors', 'replicate', f"REPLICATE_API_TOKEN={r8}", [('REPLICATE_API_TOKEN', r8)])
case('vendors', 'replicate lowercase word', "r8_" + 'a' * 37, [])

import os
out = os.path.dirname(os.path.abspath(__file__))
os.makedirs(out, exist_ok=True)
for f, rows in files.items():
    with open(f"{out}/{f}.jsonl", 'w') as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + '\n')
    print(f, len(rows))
# national format phones (appended)
nat = []
def ncase(name, text, expect): nat.append({"name": name, "text": text, "expect": [{"type": t, "value": v} for t, v in expect]})
ncase('national germany with label', 'Telefon: 030 1234567', [('PHONE', '030 1234567')])
ncase('national uk with label', 'Phone: 020 7946 0123', [('PHONE', '020 7946 0123')])
ncase('national france with label', 'Téléphone : 01 23 45 67 89', [('PHONE', '01 23 45 67 89')])
ncase('national japan with label', 'お電話：03-1234-5678', [('PHONE', '03-1234-5678')])
ncase('national without label', 'Ref 030 1234567 attached', [])
ncase('national mixed separators', 'Tel: 030 123-4567', [])
with open(f"{out}/phone_national.jsonl", 'w') as fh:
    for r in nat: fh.write(json.dumps(r, ensure_ascii=False) + '\n')
