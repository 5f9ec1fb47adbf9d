import express, { Router } from 'express';
import { absolutePath } from 'swagger-ui-dist';

/**
 * The API's reference page: Swagger UI, served from its npm package (no CDN: installations may have no internet),
 * reading the document at `documentUrl`. Public, as the document is: it describes the API, it holds no data.
 */
export function docsPage(pagePath: string, documentUrl: string): Router {
  const router = Router();
  const assets = `${pagePath}/assets`;
  router.get(pagePath, (_req, res) => {
    res.type('html').send(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Outflow API</title>
    <link rel="stylesheet" href="${assets}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${assets}/swagger-ui-bundle.js"></script>
    <script src="${pagePath}/start.js"></script>
  </body>
</html>
`);
  });
  router.get(`${pagePath}/start.js`, (_req, res) => {
    res
      .type('js')
      .send(
        `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(documentUrl)}, dom_id: '#swagger-ui', deepLinking: true });\n`,
      );
  });
  router.use(assets, express.static(absolutePath(), { index: false, fallthrough: false }));
  return router;
}
