// What a route declares about itself; the server enforces host, style, auth and arguments.
import type { RequestContext } from '../context.js';

export interface Route {
  /** e.g. 'files/upload_session/finish_batch_v2' (the URL path after /2/). */
  name: string;
  host: 'api' | 'content';
  style: 'rpc' | 'upload' | 'download';
  auth: 'user' | 'none';
  /** RPC routes whose argument is Void: the SDK sends no body and no Content-Type. */
  voidArg?: boolean;
  handle(ctx: RequestContext): Promise<void>;
}

export const HOSTS = {
  api: 'api.dropboxapi.com',
  content: 'content.dropboxapi.com',
} as const;
