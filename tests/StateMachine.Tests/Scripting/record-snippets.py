#!/usr/bin/env python3
"""Records redis-server's reply for every snippet in LibrarySnippets.txt (the '=> ' lines).

Usage: record-snippets.py PORT [FILE]  -- against a redis-server 7.0.15 you started yourself, e.g.
  redis-server --port PORT --save '' --appendonly no --daemonize yes --dir /tmp/somewhere
Each snippet runs as `EVAL <snippet> 0` after `SCRIPT FLUSH` (which gives Redis 7.0 a fresh Lua
state, so configuration a snippet changes does not leak). The reply is written in the canonical
form LibrarySnippetTests compares: "text" (bulk, non-printable bytes as \\xHH), :n, nil, +status,
!error (without Redis's "ERR ", "user_script:N: " and " script: ..." decorations), [a, b].
"""
import re, socket, sys

def canonical_bytes(b):
    out = []
    for ch in b:
        if ch in (0x22, 0x5C) or ch < 0x20 or ch > 0x7E:
            out.append('\\x%02X' % ch)
        else:
            out.append(chr(ch))
    return '"' + ''.join(out) + '"'

def normalize_error(msg):
    msg = re.sub(r' script: [0-9a-f]+, on @user_script:\d+\.$', '', msg)
    if msg.startswith('ERR '):
        msg = msg[4:]
    msg = re.sub(r'^user_script:\d+: ', '', msg)
    return '!' + msg

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port))
        self.buf = b''
    def line(self):
        while b'\r\n' not in self.buf:
            self.buf += self.s.recv(65536)
        l, self.buf = self.buf.split(b'\r\n', 1)
        return l
    def exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(65536)
        d, self.buf = self.buf[:n], self.buf[n + 2:]
        return d
    def reply(self):
        l = self.line()
        t, rest = l[:1], l[1:]
        if t == b'+': return '+' + rest.decode('latin1')
        if t == b'-': return normalize_error(rest.decode('latin1'))
        if t == b':': return ':' + rest.decode()
        if t == b'$':
            n = int(rest)
            return 'nil' if n < 0 else canonical_bytes(self.exact(n))
        if t == b'*':
            n = int(rest)
            if n < 0: return 'nil'
            return '[' + ', '.join(self.reply() for _ in range(n)) + ']'
        raise ValueError(l)
    def command(self, *args):
        parts = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a.encode('latin1') if isinstance(a, str) else a
            parts.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.s.sendall(b''.join(parts))
        return self.reply()

def main():
    port = int(sys.argv[1])
    path = sys.argv[2] if len(sys.argv) > 2 else __file__.replace('record-snippets.py', 'LibrarySnippets.txt')
    lines = open(path, encoding='utf-8').read().split('\n')
    conn = Conn(port)
    out, snippet, count = [], None, 0
    for l in lines:
        if l.startswith('--- '):
            snippet = []
            out.append(l)
        elif l.startswith('=> ') and snippet is not None:
            conn.command('SCRIPT', 'FLUSH')
            out.append('=> ' + conn.command('EVAL', '\n'.join(snippet), '0'))
            snippet, count = None, count + 1
        else:
            if snippet is not None:
                snippet.append(l)
            out.append(l)
    open(path, 'w', encoding='utf-8').write('\n'.join(out))
    print('recorded %d snippets' % count)

main()
