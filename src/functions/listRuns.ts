import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { azureDeps } from './azureDeps';
import { listRunsHandler } from './handlers/listRuns';

app.http('listRuns', {
  route: 'runs',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: listRunsHandler(azureDeps),
});
