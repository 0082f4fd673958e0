/**
 * The GS1 EPCIS 2.0 REST binding on a validator (issue 14; docs/epcis.md): the binding
 * (routes.ts) over the validator's backend (validator-backend.ts), its WebSocket upgrades and
 * graceful stop hooked into the validator's API listener. Mounted at EPCIS_BASE_PATH by
 * api/http/index.ts. Bodies and answers are JSON-LD, or EPCIS XML (api/epcis-xml: 2.0 and 1.2 in,
 * 2.0 out) unless the options name other formats.
 */
import type { Router } from 'express';
import type { ValidatorContext } from '../../node/validator.js';
import type { ReadAccess } from '../http/access.js';
import { epcisRestBinding, type EpcisRestOptions } from './routes.js';
import { validatorBackend } from './validator-backend.js';
import { epcisXmlFormat } from '../epcis-xml/rest-format.js';

export const EPCIS_BASE_PATH = '/epcis';

export function validatorEpcisRoutes(context: ValidatorContext, access: ReadAccess, options: EpcisRestOptions = {}): Router {
  const backend = validatorBackend(context, access);
  const binding = epcisRestBinding(backend, EPCIS_BASE_PATH, {
    ...options,
    formats: options.formats ?? [epcisXmlFormat],
    webhooks: { privateDestinations: context.config.api.webhooks.privateDestinations, ...options.webhooks },
  });
  context.onUpgrade(binding.upgrade);
  context.onStop(async () => {
    await binding.stop();
    await backend.storage.close();
  });
  binding.start().catch((error: unknown) => context.logger.error({ error }, 'the EPCIS binding could not load its subscriptions'));
  return binding.router;
}

export { epcisRestBinding, type EpcisRestBinding, type EpcisRestOptions } from './routes.js';
export type { EpcisBackend } from './backend.js';
export type { EpcisFormat, DocumentConversion } from './media.js';
export { captureSignatureHeaders, singleEventDocument } from './capture-signature.js';
