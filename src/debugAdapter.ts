// The stdio debug adapter's entry point (`node dist/debugAdapter.js`): one session over stdin/stdout.
import { DebugSession } from '@vscode/debugadapter';
import { DmabufDebugSession } from './adapter/session';

DebugSession.run(DmabufDebugSession);
