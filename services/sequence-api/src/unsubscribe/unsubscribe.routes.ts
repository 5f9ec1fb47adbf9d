import express, { Router, type Response } from 'express';
import type { UnsubscribeTokens } from '@outflow/config';
import { inWorkspace, suppressAddress, type Database } from '@outflow/db';
import { confirmationPage, maskAddress, unknownLinkPage, unsubscribedPage } from './unsubscribe-page.js';

/** The pages are plain HTML with one inline style block and a same-origin form: nothing else may load or run. */
function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .set('cache-control', 'no-store')
    .set('referrer-policy', 'no-referrer')
    .type('html')
    .send(html);
}

/**
 * The unsubscribe link of every email, public (no API key: the token is the proof): `GET /u/{token}` shows a
 * confirmation page, `POST /u/{token}` with `List-Unsubscribe=One-Click` (a mail client's one-click button, RFC
 * 8058, or the page's button) suppresses the address and stops every enrollment of it in the token's workspace,
 * in one transaction. A token that does not verify gets 404 and changes nothing.
 */
export function unsubscribeRoutes(deps: { db: Database; tokens: UnsubscribeTokens }): Router {
  const router = Router();
  const contactOf = (token: string) => {
    const recipient = deps.tokens.read(token);
    if (!recipient) return undefined;
    return {
      recipient,
      find: () =>
        inWorkspace(deps.db, recipient.workspaceId, (trx) =>
          trx.selectFrom('contacts').select('email').where('id', '=', recipient.contactId).executeTakeFirst(),
        ),
    };
  };

  router.get('/u/:token', async (req, res) => {
    const link = contactOf(req.params.token);
    if (!link) return sendPage(res, 404, unknownLinkPage());
    const contact = await link.find();
    sendPage(res, 200, confirmationPage(contact ? maskAddress(contact.email) : undefined));
  });

  router.post('/u/:token', express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
    const link = contactOf(req.params.token);
    if (!link) return sendPage(res, 404, unknownLinkPage());
    if ((req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] !== 'One-Click') {
      return sendPage(res, 400, confirmationPage(undefined));
    }
    const { workspaceId, contactId } = link.recipient;
    await inWorkspace(deps.db, workspaceId, async (trx) => {
      const contact = await trx.selectFrom('contacts').select('email').where('id', '=', contactId).executeTakeFirst();
      // An erased contact has nothing left to stop: the answer is the same.
      if (contact) {
        await suppressAddress(trx, {
          workspaceId,
          email: contact.email,
          reason: 'unsubscribed',
          note: 'unsubscribe link',
        });
      }
    });
    sendPage(res, 200, unsubscribedPage());
  });
  return router;
}
