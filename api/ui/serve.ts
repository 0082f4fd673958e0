/**
 * Serves the auditor web UI that `api/ui/build.mjs` built at install time: index.html at /, the
 * content-hashed bundles under /assets/. The page may be cached only after revalidation (it
 * names the current bundles); the bundles themselves never change under their names, so they
 * are cached for a year. A strict Content-Security-Policy goes with every response: the UI
 * needs nothing but its own origin. Without a build the UI answers 503 with what to run, and the
 * API keeps working.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';

/**
 * Beside the UI's sources, found through build.mjs's real path: run compiled
 * (tools/bin/compiled-sources.mjs), this module lives in a mirror under node_modules/.cache,
 * where a build made after the mirror would be missing and whose dot-folder `send` refuses to serve from.
 */
export const UI_DIST_DIRECTORY = join(dirname(realpathSync(fileURLToPath(new URL('./build.mjs', import.meta.url)))), 'dist');

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(response: Response): void {
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
}

export interface UiRoutesOptions {
  /** Where the built UI lives; tests point it elsewhere. */
  directory?: string;
}

export function uiRoutes(options: UiRoutesOptions = {}): Router {
  const directory = options.directory ?? UI_DIST_DIRECTORY;
  const indexFile = join(directory, 'index.html');
  const router = Router();

  const sendIndex = (response: Response): void => {
    securityHeaders(response);
    // Checked per request, so a UI built while the node runs is picked up without a restart.
    if (!existsSync(indexFile)) {
      response.status(503).json({
        code: 'ui-not-built',
        message: 'the auditor UI has not been built on this node: run npm install (it builds the UI), or npm run build:ui',
        path: '',
      });
      return;
    }
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(indexFile);
  };

  router.get(['/', '/index.html'], (_request, response) => sendIndex(response));
  router.use(
    '/assets',
    (_request, response, next) => {
      securityHeaders(response);
      next();
    },
    express.static(join(directory, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      dotfiles: 'ignore',
    }),
    (request, response) => {
      response.status(404).json({ code: 'not-found', message: `no UI asset ${request.path}; reload the page, the UI may have been rebuilt`, path: '' });
    },
  );
  return router;
}
