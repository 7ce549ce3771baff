import { createHash } from 'node:crypto';

export interface DocsPage {
  html: string;
  /** Allows exactly this page's own inline script and the same-origin files it loads. */
  contentSecurityPolicy: string;
}

/**
 * The Swagger UI page: everything it loads comes from this server (no CDN: many users'
 * networks cannot reach one), and it reads the document from `openApiUrl`.
 */
export function docsPage(options: { openApiUrl: string; assetsUrl: string }): DocsPage {
  const { openApiUrl, assetsUrl } = options;
  // validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
  const script = `
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openApiUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;
  const scriptHash = createHash('sha256').update(script, 'utf8').digest('base64');
  const html = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Order service API</title>
    <link rel="stylesheet" href="${assetsUrl}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${assetsUrl}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${assetsUrl}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${assetsUrl}/swagger-ui-bundle.js" charset="utf-8"></script>
    <script>${script}</script>
  </body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${scriptHash}'`,
    // Swagger UI sets styles from script and draws icons as data: images.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
