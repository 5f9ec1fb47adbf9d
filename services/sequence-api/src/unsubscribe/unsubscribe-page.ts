/** `s***@example.com`: enough for the recipient to recognise, little for anyone else holding the link. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(title)}</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
      button { font: inherit; padding: 0.5rem 1.25rem; border: 1px solid #444; border-radius: 4px; background: #fff; cursor: pointer; }
    </style>
  </head>
  <body>
    <h1>${escapeHtml(title)}</h1>
    ${body}
  </body>
</html>
`;
}

/**
 * The page a GET of the link shows: it asks, it does not unsubscribe (link scanners and previews fetch links);
 * the button POSTs the same body a mail client's one-click button does (RFC 8058).
 */
export function confirmationPage(maskedAddress: string | undefined): string {
  const whom = maskedAddress ? ` ${escapeHtml(maskedAddress)}` : '';
  return page(
    'Unsubscribe',
    `<p>Stop all emails to${whom} from this sender?</p>
    <form method="post">
      <input type="hidden" name="List-Unsubscribe" value="One-Click" />
      <button type="submit" id="unsubscribe">Unsubscribe</button>
    </form>`,
  );
}

export function unsubscribedPage(): string {
  return page('You are unsubscribed', '<p id="done">You will receive no more emails from this sender.</p>');
}

export function unknownLinkPage(): string {
  return page('Link not recognised', '<p>This unsubscribe link is not valid. Reply to the email to ask instead.</p>');
}
