import Fastify from 'fastify';

const app = Fastify();
app.post('/v1/verifications', async (req, reply) => reply.status(201).send({ id: 'x', status: 'pending', body: req.body }));
app.post('/v1/verifications/check', async (req) => ({ id: 'x', status: 'pending', valid: false, body: req.body }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('listening');
