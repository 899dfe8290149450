import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { azureDeps } from './azureDeps';
import { reforecastSkuHandler } from './handlers/reforecastSku';

app.http('reforecastSku', {
  route: 'skus/{sku}/forecast',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: reforecastSkuHandler(azureDeps),
});
