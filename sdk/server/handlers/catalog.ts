import type { Handler } from '../context';

/** GET /v2/catalog: the body is serialised once at start. */
export const getCatalog: Handler = ({ catalog }) => ({ status: 200, raw: catalog.body });
