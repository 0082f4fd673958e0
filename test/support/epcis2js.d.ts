/**
 * epcis2.js ships its declarations under @types/epcis2.js/ without naming them in its
 * package.json: this names them for the type checker only (a tsconfig `paths` entry would also
 * redirect tsx's runtime resolution to the declaration file).
 */
declare module 'epcis2.js' {
  export * from 'epcis2.js/@types/epcis2.js/index.js';
}
