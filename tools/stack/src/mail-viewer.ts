import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultRule, ReceivedMessage, SmtpSink } from './smtp-sink.js';

export interface MailViewer {
  url: string;
  stop(): Promise<void>;
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function summary(message: ReceivedMessage) {
  return {
    id: message.id,
    receivedAt: message.receivedAt.toISOString(),
    from: message.from,
    to: message.to,
    subject: message.headers['subject'] ?? '',
    headers: message.headers,
  };
}

function page(title: string, body: string, refresh = false): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
${refresh ? '<meta http-equiv="refresh" content="2">' : ''}
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
pre{background:#f8f8f8;padding:1rem;white-space:pre-wrap}a{color:#0b5cad}</style></head>
<body>${body}</body></html>`;
}

/**
 * A web page over the SMTP sink for people running the dev stack: the received mail, newest first, each
 * message's headers and decoded body, plus a small JSON API (also used to switch faults on and off).
 *   GET  /                       the list (refreshes every 2 s)
 *   GET  /messages/:id           one message
 *   GET  /api/messages           JSON list       DELETE /api/messages   forget all
 *   GET  /api/messages/:id/raw   the raw message (message/rfc822)
 *   POST /api/faults             add a fault rule (JSON FaultRule)  -> {id}
 *   DELETE /api/faults           remove every fault rule
 */
export async function startMailViewer(options: { sink: SmtpSink; port?: number }): Promise<MailViewer> {
  const { sink } = options;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://viewer').pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const html = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    const find = (id: string | undefined) => sink.messages.find((message) => message.id === id);

    if (req.method === 'GET' && path === '/') {
      const rows = [...sink.messages]
        .reverse()
        .map(
          (message) =>
            `<tr><td>${escapeHtml(message.receivedAt.toISOString())}</td><td>${escapeHtml(message.from)}</td>` +
            `<td>${escapeHtml(message.to.join(', '))}</td>` +
            `<td><a href="/messages/${encodeURIComponent(message.id)}">${escapeHtml(message.headers['subject'] ?? '(no subject)')}</a></td></tr>`,
        )
        .join('');
      return html(
        200,
        page(
          'Outflow mail',
          `<h1>Outflow dev mail (${sink.messages.length})</h1><p>Everything the local SMTP sink at ${sink.host}:${sink.port} received.</p>` +
            `<table><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th></tr>${rows || '<tr><td colspan="4">No mail yet.</td></tr>'}</table>`,
          true,
        ),
      );
    }
    const messagePage = /^\/messages\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && messagePage) {
      const message = find(decodeURIComponent(messagePage[1]!));
      if (!message) return html(404, page('Not found', '<h1>No such message</h1><p><a href="/">Back</a></p>'));
      const parsed = await sink.parse(message);
      const headers = Object.entries(message.headers)
        .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
        .join('');
      return html(
        200,
        page(
          parsed.subject ?? message.id,
          `<p><a href="/">&larr; All mail</a> · <a href="/api/messages/${encodeURIComponent(message.id)}/raw">raw</a></p>` +
            `<h1>${escapeHtml(parsed.subject ?? '(no subject)')}</h1><table>${headers}</table>` +
            `<h2>Text</h2><pre>${escapeHtml(parsed.text ?? '')}</pre>` +
            (parsed.html
              ? `<h2>HTML</h2><iframe sandbox srcdoc="${escapeHtml(parsed.html)}" style="width:100%;height:30rem;border:1px solid #ddd"></iframe>`
              : ''),
        ),
      );
    }
    if (path === '/api/messages' && req.method === 'GET') return json(200, sink.messages.map(summary));
    if (path === '/api/messages' && req.method === 'DELETE') {
      sink.clear();
      return json(200, { cleared: true });
    }
    const raw = /^\/api\/messages\/([^/]+)\/raw$/.exec(path);
    if (raw && req.method === 'GET') {
      const message = find(decodeURIComponent(raw[1]!));
      if (!message) return json(404, { error: 'no such message' });
      res.writeHead(200, { 'content-type': 'message/rfc822' });
      res.end(message.raw);
      return;
    }
    if (path === '/api/faults' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        const rule = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FaultRule;
        if (!rule || typeof rule !== 'object' || !rule.action) throw new Error('a fault rule needs an "action"');
        return json(201, { id: sink.addFault(rule) });
      } catch (error) {
        return json(400, { error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (path === '/api/faults' && req.method === 'DELETE') {
      sink.clearFaults();
      return json(200, { cleared: true });
    }
    json(404, { error: `no route for ${req.method} ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
