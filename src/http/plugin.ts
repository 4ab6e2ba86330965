/** The shape of an API family plugin: it gets the gateway and the shared API-key resolver. */
import type { FastifyPluginAsync } from 'fastify';
import type { Gateway } from '../gateway.ts';
import type { ApiKeyAuth } from './auth.ts';

export type FamilyPlugin = FastifyPluginAsync<{ gw: Gateway; auth: ApiKeyAuth }>;
