/** The contracts both halves share: columns, errors, links, schemas, signature, row planning. */
export * from './columns.js';
export * from './errors.js';
export * from './links.js';
export * from './schemas.js';
export * from './signature.js';
export * from './rows.js';
export * from './archiveOptions.js';
export * from './duration.js';
