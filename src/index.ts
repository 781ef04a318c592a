// What the runner starts (dist/index.js): the action's run(), which reports every failure through the workflow itself.
import { run } from './main.js';

await run();
