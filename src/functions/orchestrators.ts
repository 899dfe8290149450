import * as df from 'durable-functions';
import { orchestrators } from '../orchestrators';

for (const [name, handler] of Object.entries(orchestrators)) {
  df.app.orchestration(name, handler);
}
